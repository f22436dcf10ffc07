using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Triggers.Api.Auth;
using Triggers.Tokens;
using Triggers.Validation;

namespace Triggers.Api.Tokens;

/// <param name="Role">viewer, operator, developer or admin.</param>
/// <param name="Workspaces">The workspaces it may use; absent or null for every one.</param>
/// <param name="Expiration">When it stops working; absent for never.</param>
public sealed record CreateTokenRequest(string? Label, string? Role, string[]? Workspaces, DateTimeOffset? Expiration);

/// <summary>
/// Named API tokens, for people and programs that should not hold the admin token: each limited to a role and a list
/// of workspaces. The token is answered once, at creation; only its hash is kept. Admin only.
/// </summary>
public static class TokensApi
{
    private const int PrefixLength = 10;

    public static RouteGroupBuilder MapTokensApi(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/tokens");
        group.MapPost("/create", async (CreateTokenRequest request, HttpContext http, IGrainFactory grains, TimeProvider clock) =>
        {
            var label = request.Label?.Trim();
            if (string.IsNullOrEmpty(label) || label.Length > 100)
                throw new InvalidInputException("label", "A token needs a label of 1 to 100 characters, naming who or what holds it.");
            if (label.Any(c => char.IsControl(c) || char.GetUnicodeCategory(c) == System.Globalization.UnicodeCategory.Format))
                throw new InvalidInputException("label", "A token's label may not hold control or invisible characters: people read it as edited_by.");
            // Changes show the label as edited_by, where these name the admin token, the silo itself and jobs: no label
            // may read like them, whatever its case, width or accents.
            var skeleton = Skeleton(label);
            if (skeleton is Editors.Admin or Editors.System || skeleton.StartsWith(Editors.JobPrefix, StringComparison.Ordinal))
                throw new InvalidInputException("label", $"'{label}' is reserved: edited_by shows 'admin' for the admin token, 'system' for the silo's own changes and 'job <id>' for a job's.");
            if (Enum.GetValues<TokenRole>().Where(r => ApiAccess.Name(r) == request.Role).Select(r => (TokenRole?)r).FirstOrDefault() is not { } role)
                throw new InvalidInputException("role", $"role must be one of {string.Join(", ", Enum.GetValues<TokenRole>().Select(ApiAccess.Name))}.");
            if (request.Workspaces is { Length: 0 })
                throw new InvalidInputException("workspaces", "A token limited to no workspace could do nothing: list at least one, or leave workspaces out for all.");
            foreach (var workspace in request.Workspaces ?? []) Names.RequireWorkspaceId(workspace, "workspaces");
            if (request.Expiration <= clock.GetUtcNow())
                throw new InvalidInputException("expiration", "expiration must lie in the future.");

            var secret = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
            await grains.GetGrain<IApiTokensGrain>(0).AddAsync(new ApiToken
            {
                Label = label, Role = role, Workspaces = request.Workspaces?.Distinct().ToList(), Prefix = secret[..PrefixLength],
                Hash = ApiAccess.Hash(secret), CreatedAt = clock.GetUtcNow(), ExpiresAt = request.Expiration,
            });
            http.Response.Headers.CacheControl = "no-store"; // the only time the token is shown
            return Results.Text(secret, statusCode: StatusCodes.Status201Created);
        });
        group.MapGet("/list", async (IGrainFactory grains) =>
            (await grains.GetGrain<IApiTokensGrain>(0).ListAsync()).Select(t => new
            {
                token_prefix = t.Prefix, label = t.Label, role = ApiAccess.Name(t.Role), workspaces = t.Workspaces,
                created_at = t.CreatedAt, expiration = t.ExpiresAt,
            }));
        group.MapDelete("/delete/{token_prefix}", async (string token_prefix, IGrainFactory grains) =>
            await grains.GetGrain<IApiTokensGrain>(0).RemoveAsync(token_prefix)
                ? Results.Text($"deleted token {token_prefix}")
                : throw new NotFoundException($"No token has the prefix '{token_prefix}'."));
        return api;
    }

    /// <summary>What a label looks like to a reader: compatibility forms folded (full-width letters), accents and
    /// invisible characters dropped, any run of spaces one space, lower case.</summary>
    private static string Skeleton(string label)
    {
        var visible = label.Normalize(System.Text.NormalizationForm.FormKD)
            .Where(c => char.GetUnicodeCategory(c) is not (System.Globalization.UnicodeCategory.NonSpacingMark
                or System.Globalization.UnicodeCategory.EnclosingMark or System.Globalization.UnicodeCategory.Format
                or System.Globalization.UnicodeCategory.Control))
            .Select(c => char.IsWhiteSpace(c) ? ' ' : c);
        return string.Join(' ', new string(visible.ToArray()).Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToLowerInvariant();
    }
}
