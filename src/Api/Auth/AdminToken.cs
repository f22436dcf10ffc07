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

/// <summary>Marks the endpoints that need <c>Authorization: Bearer {Auth:AdminToken}</c>.</summary>
public sealed class RequiresAdminToken;

/// <summary>
/// Checks the admin token of requests to endpoints marked <see cref="RequiresAdminToken"/>, as middleware: before
/// the endpoint binds its parameters, so a caller without the token learns that (401) and nothing about its body.
/// </summary>
public sealed class AdminToken(Microsoft.Extensions.Options.IOptions<AuthOptions> options)
{
    private readonly byte[] _expected = Encoding.UTF8.GetBytes(options.Value.AdminToken);

    /// <summary>Why the request may not go on, or null when its token is the admin token.</summary>
    public IResult? Refusal(HttpContext context)
    {
        var header = context.Request.Headers.Authorization.ToString();
        const string scheme = "Bearer ";
        if (!header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
            return Unauthorized("Send the admin token as 'Authorization: Bearer <token>' (it is printed at startup, or set with Auth__AdminToken).");
        var given = Encoding.UTF8.GetBytes(header[scheme.Length..].Trim());
        if (_expected.Length == 0 || !CryptographicOperations.FixedTimeEquals(given, _expected))
            return Unauthorized("The bearer token is not valid for this server.");
        return null;
    }

    private static IResult Unauthorized(string detail) =>
        Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Unauthorized", detail: detail);
}

public static class AdminTokenMiddleware
{
    /// <summary>Refuses requests to <see cref="RequiresAdminToken"/> endpoints without the admin token; runs after routing.</summary>
    public static IApplicationBuilder UseAdminToken(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        if (context.GetEndpoint()?.Metadata.GetMetadata<RequiresAdminToken>() is not null
            && context.RequestServices.GetService(typeof(AdminToken)) is AdminToken token
            && token.Refusal(context) is { } refusal)
        {
            await refusal.ExecuteAsync(context);
            return;
        }
        await next(context);
    });
}
