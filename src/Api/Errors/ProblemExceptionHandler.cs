using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;
using Triggers.Validation;

namespace Triggers.Api.Errors;

/// <summary>Turns the domain's exceptions, wherever they were thrown (often inside a grain), into problem details.</summary>
public sealed partial class ProblemExceptionHandler(IProblemDetailsService problems, ILogger<ProblemExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext http, Exception exception, CancellationToken ct)
    {
        var (status, title, detail, field) = exception switch
        {
            InvalidInputException e => (StatusCodes.Status400BadRequest, "Invalid input", e.Message, e.Field),
            NotFoundException e => (StatusCodes.Status404NotFound, "Not found", e.Message, null),
            ConflictException e => (StatusCodes.Status409Conflict, "Conflict", e.Message, null),
            BadHttpRequestException { InnerException: JsonException json } =>
                (StatusCodes.Status400BadRequest, "Malformed JSON", $"The request body is not valid JSON for this route: {json.Message}", (string?)JsonField(json)),
            BadHttpRequestException e => (e.StatusCode, "Bad request", e.Message, BoundParameter(e.Message)),
            JsonException json => (StatusCodes.Status400BadRequest, "Malformed JSON", $"The request body is not valid JSON for this route: {json.Message}", JsonField(json)),
            // A silo just left: its grains come back on a survivor within seconds.
            SiloUnavailableException or OrleansMessageRejectionException or TimeoutException =>
                (StatusCodes.Status503ServiceUnavailable, "Temporarily unavailable",
                 $"The cluster is moving this item to another silo after a silo left; retry in a few seconds. ({exception.Message})", null),
            _ => (0, "", "", null),
        };
        if (status == 0)
        {
            logger.LogError(exception, "Unhandled error on {Method} {Path}", http.Request.Method, http.Request.Path);
            return false;
        }
        http.Response.StatusCode = status;
        var problem = new Microsoft.AspNetCore.Mvc.ProblemDetails { Status = status, Title = title, Detail = detail };
        if (field is not null) problem.Extensions["field"] = field;
        return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = http, ProblemDetails = problem, Exception = exception });
    }

    /// <summary>The route or query parameter named in ASP.NET Core's binding errors, e.g.
    /// <c>Failed to bind parameter "Nullable&lt;int&gt; page" from "abc".</c></summary>
    private static string? BoundParameter(string message) =>
        BindingError().Match(message) is { Success: true } match ? match.Groups["name"].Value : null;

    [GeneratedRegex("""parameter "(?:[^"]* )?(?<name>[A-Za-z_][A-Za-z0-9_]*)" """, RegexOptions.CultureInvariant)]
    private static partial Regex BindingError();

    private static string? JsonField(JsonException e) => string.IsNullOrEmpty(e.Path) || e.Path == "$" ? null : e.Path.TrimStart('$', '.');
}
