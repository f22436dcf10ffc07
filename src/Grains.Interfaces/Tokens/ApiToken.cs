namespace Triggers.Tokens;

/// <summary>What a token's holder may do. Each role includes the rights of the ones before it.</summary>
public enum TokenRole
{
    /// <summary>Read everything of its workspaces (secrets are never shown to anyone).</summary>
    Viewer,

    /// <summary>Also change triggers' modes, reset and commit offsets, and re-drive failed jobs.</summary>
    Operator,

    /// <summary>Also create, edit and delete scripts, flows, resources and triggers, and run jobs.</summary>
    Developer,

    /// <summary>Everything, like the admin token: tokens, workspaces, secrets, the dashboard and metrics.</summary>
    Admin,
}

/// <summary>A named API token. Only a hash of the token is kept; the token itself is shown once, when it is created.</summary>
[GenerateSerializer, Alias("Triggers.ApiToken")]
public sealed record ApiToken
{
    [Id(0)] public string Label { get; init; } = "";
    [Id(1)] public TokenRole Role { get; init; }

    /// <summary>The workspaces it may use; null for every workspace.</summary>
    [Id(2)] public IReadOnlyList<string>? Workspaces { get; init; }

    /// <summary>The token's first characters, which name it for listing and deletion (Windmill's <c>token_prefix</c>).</summary>
    [Id(3)] public string Prefix { get; init; } = "";

    /// <summary>SHA-256 of the token, hex.</summary>
    [Id(4)] public string Hash { get; init; } = "";

    [Id(5)] public DateTimeOffset CreatedAt { get; init; }
    [Id(6)] public DateTimeOffset? ExpiresAt { get; init; }

    public bool AllowsWorkspace(string workspace) => Workspaces is null || Workspaces.Contains(workspace, StringComparer.Ordinal);
}

/// <summary>The cluster's API tokens (one grain, key 0).</summary>
[Alias("Triggers.IApiTokensGrain")]
public interface IApiTokensGrain : IGrainWithIntegerKey
{
    Task AddAsync(ApiToken token);

    /// <returns>Whether a token had this prefix.</returns>
    Task<bool> RemoveAsync(string prefix);

    [Orleans.Concurrency.ReadOnly]
    Task<IReadOnlyList<ApiToken>> ListAsync();

    /// <summary>The token whose hash this is, or null.</summary>
    [Orleans.Concurrency.ReadOnly]
    Task<ApiToken?> FindAsync(string hash);
}
