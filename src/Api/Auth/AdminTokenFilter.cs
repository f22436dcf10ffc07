using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Triggers.Api.Auth;

/// <summary>Configuration section <c>Auth</c>.</summary>
public sealed class AuthOptions
{
    public const string Section = "Auth";

    /// <summary>Bearer token with access to every workspace.</summary>
    public string AdminToken { get; set; } = "";
}

/// <summary>Requires <c>Authorization: Bearer {Auth:AdminToken}</c> on every route it guards.</summary>
public sealed class AdminTokenFilter(Microsoft.Extensions.Options.IOptions<AuthOptions> options) : IEndpointFilter
{
    private readonly byte[] _expected = Encoding.UTF8.GetBytes(options.Value.AdminToken);

    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var header = context.HttpContext.Request.Headers.Authorization.ToString();
        const string scheme = "Bearer ";
        if (!header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
            return ValueTask.FromResult<object?>(Unauthorized("Send the admin token as 'Authorization: Bearer <token>' (it is printed at startup, or set with Auth__AdminToken)."));
        var given = Encoding.UTF8.GetBytes(header[scheme.Length..].Trim());
        if (_expected.Length == 0 || !CryptographicOperations.FixedTimeEquals(given, _expected))
            return ValueTask.FromResult<object?>(Unauthorized("The bearer token is not valid for this server."));
        return next(context);
    }

    private static IResult Unauthorized(string detail) =>
        Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Unauthorized", detail: detail);
}
