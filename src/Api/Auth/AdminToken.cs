using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Triggers.Api.Auth;

/// <summary>Configuration section <c>Auth</c>.</summary>
public sealed class AuthOptions
{
    public const string Section = "Auth";

    /// <summary>Bearer token with access to every workspace.</summary>
    public string AdminToken { get; set; } = "";
}

/// <summary>Marks the endpoints that need the admin token: <c>Authorization: Bearer {Auth:AdminToken}</c>, or where the
/// endpoint allows it, HTTP Basic with the token as password (any user name).</summary>
public sealed class RequiresAdminToken
{
    /// <summary>Pages a person opens in a browser (the dashboard): the token may come as HTTP Basic's password, and a
    /// refusal asks the browser for it.</summary>
    public bool Browser { get; init; }

    /// <summary>The token may come as HTTP Basic's password (a scraper's credentials) without a browser challenge.</summary>
    public bool AllowBasic { get; init; }

    /// <summary>Basic is opt-in: a browser sends saved Basic credentials with any request to the origin, a form posted
    /// from another site included, so the API itself takes only a bearer token.</summary>
    internal bool AcceptsBasic => Browser || AllowBasic;
}

/// <summary>
/// Checks the admin token of requests to endpoints marked <see cref="RequiresAdminToken"/>, as middleware: before
/// the endpoint binds its parameters, so a caller without the token learns that (401) and nothing about its body.
/// </summary>
public sealed class AdminToken(Microsoft.Extensions.Options.IOptions<AuthOptions> options)
{
    private readonly byte[] _expected = Encoding.UTF8.GetBytes(options.Value.AdminToken);

    /// <summary>Why the request may not go on, or null when its token is the admin token.</summary>
    public IResult? Refusal(HttpContext context, bool acceptBasic = false)
    {
        var given = GivenToken(context.Request.Headers.Authorization.ToString(), acceptBasic);
        if (given is null)
            return Unauthorized("Send the admin token as 'Authorization: Bearer <token>' (it is printed at startup, or set with Auth__AdminToken).");
        if (_expected.Length == 0 || !CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), _expected))
            return Unauthorized("The token is not valid for this server.");
        return null;
    }

    /// <summary>The token of a Bearer header, or the password of a Basic one; null for anything else.</summary>
    private static string? GivenToken(string header, bool acceptBasic)
    {
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return header["Bearer ".Length..].Trim();
        if (!acceptBasic || !header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase)) return null;
        try
        {
            var pair = Encoding.UTF8.GetString(Convert.FromBase64String(header["Basic ".Length..].Trim()));
            return pair.IndexOf(':') is var colon and >= 0 ? pair[(colon + 1)..] : null;
        }
        catch (FormatException) { return null; }
    }

    private static IResult Unauthorized(string detail) =>
        Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Unauthorized", detail: detail);
}

public static class AdminTokenMiddleware
{
    /// <summary>Refuses requests to <see cref="RequiresAdminToken"/> endpoints without the admin token; runs after routing.</summary>
    public static IApplicationBuilder UseAdminToken(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        if (context.GetEndpoint()?.Metadata.GetMetadata<RequiresAdminToken>() is { } required
            && context.RequestServices.GetService(typeof(AdminToken)) is AdminToken token
            && token.Refusal(context, required.AcceptsBasic) is { } refusal)
        {
            // A browser shows its sign-in dialog for this; the token goes in the password field.
            if (required.Browser) context.Response.Headers.WWWAuthenticate = "Basic realm=\"Orleans Triggers (admin token as password)\", charset=\"UTF-8\"";
            await refusal.ExecuteAsync(context);
            return;
        }
        await next(context);
    });
}
