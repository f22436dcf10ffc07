using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Triggers.Tokens;

namespace Triggers.Api.Auth;

/// <summary>Configuration section <c>Auth</c>.</summary>
public sealed class AuthOptions
{
    public const string Section = "Auth";

    /// <summary>Bearer token with access to every workspace.</summary>
    public string AdminToken { get; set; } = "";
}

/// <summary>Marks the endpoints that need a token: the admin token or a named API token whose role and workspaces
/// allow the request (<c>Authorization: Bearer …</c>; where the endpoint allows it, HTTP Basic with the token as password).</summary>
public sealed class RequiresToken
{
    /// <summary>Pages a person opens in a browser (the dashboard): the token may come as HTTP Basic's password, and a
    /// refusal asks the browser for it.</summary>
    public bool Browser { get; init; }

    /// <summary>The token may come as HTTP Basic's password (a scraper's credentials) without a browser challenge.</summary>
    public bool AllowBasic { get; init; }

    /// <summary>Basic is opt-in: a browser sends saved Basic credentials with any request to the origin, a form posted
    /// from another site included, so the API itself takes only a bearer token. The pages that take it (dashboard,
    /// metrics) are the cluster's own, so they need the admin role.</summary>
    internal bool AcceptsBasic => Browser || AllowBasic;
}

/// <summary>Endpoint metadata: the role a route needs where its method and place do not say it (a workspace setting
/// that only admins may change, say).</summary>
public sealed record RequiresRole(TokenRole Role);

/// <summary>
/// Decides whether a request's token may do what it asks, as middleware: before the endpoint binds its parameters, so
/// a caller without a valid token learns that (401) and nothing about its body, and one whose token lacks the right
/// learns which right is missing (403).
/// </summary>
public sealed class ApiAccess(Microsoft.Extensions.Options.IOptions<AuthOptions> options, IGrainFactory grains, TimeProvider clock)
{
    private readonly byte[] _adminToken = Encoding.UTF8.GetBytes(options.Value.AdminToken);

    // Routes under a workspace that change how a trigger runs or re-drive its jobs, but not what it runs.
    private static readonly string[] OperatorActions =
    [
        "/kafka_triggers/setmode/", "/kafka_triggers/reset_offsets/", "/kafka_triggers/commit_offsets/", "/kafka_triggers/redrive/",
        "/resume_suspended_trigger_jobs/", "/cancel_suspended_trigger_jobs/",
    ];

    /// <summary>Why the request may not go on, or null when its token allows it.</summary>
    public async Task<Refusal?> RefusalAsync(HttpContext context, RequiresToken required)
    {
        var given = GivenToken(context.Request.Headers.Authorization.ToString(), required.AcceptsBasic);
        if (given is null)
            return new Refusal(StatusCodes.Status401Unauthorized,
                "Send the admin token or an API token as 'Authorization: Bearer <token>' (the admin token is printed at startup, or set with Auth__AdminToken).");
        if (_adminToken.Length > 0 && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), _adminToken)) return null;

        var isJobToken = JobToken.Is(given);
        var token = isJobToken
            ? await grains.GetGrain<IJobTokensGrain>(0).ResolveAsync(given)
            : await grains.GetGrain<IApiTokensGrain>(0).FindAsync(Hash(given));
        if (token is null || token.ExpiresAt <= clock.GetUtcNow())
            return new Refusal(StatusCodes.Status401Unauthorized, isJobToken
                ? "The job token is not valid: it is not one this cluster signed, or the run it was made for has ended (a job's WM_TOKEN works only while that run goes on)."
                : "The token is not valid for this server (unknown, deleted or expired).");

        var workspace = context.Request.RouteValues["workspace"] as string;
        if (workspace is not null && !token.AllowsWorkspace(workspace))
            return new Refusal(StatusCodes.Status403Forbidden,
                $"The token '{token.Label}' may not use workspace '{workspace}'; it may use: {string.Join(", ", token.Workspaces!)}.");
        // A token limited to workspaces sees nothing of the others: of the routes outside a workspace it may only list
        // workspaces, and the list shows only its own (WorkspacesApi).
        if (workspace is null && token.Workspaces is not null && !IsWorkspaceList(context))
            return new Refusal(StatusCodes.Status403Forbidden,
                $"The token '{token.Label}' is limited to workspaces {string.Join(", ", token.Workspaces)}: it cannot use routes outside them; that needs a token for every workspace.");
        context.Items[typeof(ApiToken)] = token;
        var needed = Needed(context, required, workspace);
        if (token.Role < needed || (needed == TokenRole.Admin && token.Workspaces is not null))
            return new Refusal(StatusCodes.Status403Forbidden,
                $"The token '{token.Label}' ({Name(token.Role)}{(token.Workspaces is null ? "" : " of some workspaces")}) cannot do this: it needs the {Name(needed)} role{(needed == TokenRole.Admin ? " for every workspace" : "")} ({What(needed)}).");
        return null;
    }

    /// <summary>The API token a request was allowed with; null for the admin token.</summary>
    public static ApiToken? TokenOf(HttpContext context) => context.Items[typeof(ApiToken)] as ApiToken;

    private static bool IsWorkspaceList(HttpContext context) =>
        HttpMethods.IsGet(context.Request.Method) && (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText == "/api/workspaces/list";

    /// <summary>The role a request needs: reading needs a viewer, trigger operations an operator, other changes in a
    /// workspace a developer, and the cluster's own routes (tokens, workspaces, secrets, dashboard, metrics) an admin.</summary>
    private static TokenRole Needed(HttpContext context, RequiresToken required, string? workspace)
    {
        if (context.GetEndpoint()?.Metadata.GetMetadata<RequiresRole>() is { } declared) return declared.Role;
        var reads = HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method);
        var pattern = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "";
        if (required.AcceptsBasic || pattern.StartsWith("/api/tokens", StringComparison.Ordinal)) return TokenRole.Admin;
        if (reads) return TokenRole.Viewer;
        if (workspace is null) return TokenRole.Admin;
        return OperatorActions.Any(action => pattern.Contains(action, StringComparison.Ordinal)) ? TokenRole.Operator : TokenRole.Developer;
    }

    /// <summary>How a token is kept: only its SHA-256 (a token is 128 random bits, so no slow hash is needed).</summary>
    public static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    public static string Name(TokenRole role) => role.ToString().ToLowerInvariant();

    private static string What(TokenRole role) => role switch
    {
        TokenRole.Viewer => "read",
        TokenRole.Operator => "change trigger modes, reset or commit offsets, re-drive failed jobs",
        TokenRole.Developer => "create, edit and delete scripts, flows, resources and triggers, and run jobs",
        _ => "tokens, workspaces, secrets, the dashboard and metrics",
    };

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

}

/// <summary>Why a request was refused: 401 without a valid token, 403 when the token lacks a right.</summary>
public sealed record Refusal(int Status, string Detail)
{
    public IResult ToResult() =>
        Results.Problem(statusCode: Status, title: Status == StatusCodes.Status401Unauthorized ? "Unauthorized" : "Forbidden", detail: Detail);
}

public static class ApiAccessMiddleware
{
    /// <summary>Refuses requests to <see cref="RequiresToken"/> endpoints whose token does not allow them; runs after routing.</summary>
    public static IApplicationBuilder UseApiAccess(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        if (context.GetEndpoint()?.Metadata.GetMetadata<RequiresToken>() is not { } required)
        {
            await next(context);
            return;
        }
        if (await context.RequestServices.GetRequiredService<ApiAccess>().RefusalAsync(context, required) is { } refusal)
        {
            // A browser shows its sign-in dialog for this; the token goes in the password field.
            if (required.Browser && refusal.Status == StatusCodes.Status401Unauthorized)
                context.Response.Headers.WWWAuthenticate = "Basic realm=\"Orleans Triggers (admin token as password)\", charset=\"UTF-8\"";
            await refusal.ToResult().ExecuteAsync(context);
            return;
        }
        // Travels with every grain call this request makes, so the items it changes record who changed them.
        RequestContext.Set(Editors.RequestContextKey, ApiAccess.TokenOf(context)?.Label ?? Editors.Admin);
        await next(context);
    });
}
