namespace Triggers.Scripts;

/// <summary>A stored script; <see cref="Signature"/> is read from <see cref="Content"/> when it is saved.</summary>
[GenerateSerializer, Alias("Triggers.Script")]
public sealed record Script
{
    [Id(0)] public string Path { get; init; } = "";
    [Id(1)] public ScriptLanguage Language { get; init; }
    [Id(2)] public string Content { get; init; } = "";
    [Id(3)] public string? Summary { get; init; }
    [Id(4)] public ScriptSignature? Signature { get; init; }
    [Id(5)] public DateTimeOffset CreatedAt { get; init; }
    /// <summary>Runs in a long-lived process per worker slot that loads the script once and then runs job after job
    /// (Windmill's <c>dedicated_worker</c>); Bun and Python only.</summary>
    [Id(6)] public bool DedicatedWorker { get; init; }
    /// <summary>The third-party packages the script needs, read from its imports and pins when it is saved
    /// (Bun: <c>name@version</c>; Python: requirement lines). Empty: the standard library is enough.</summary>
    [Id(7)] public IReadOnlyList<string> Requirements { get; init; } = [];
    /// <summary>The resolved dependency set (Windmill's <c>lock</c>): written by the script's dependencies job; jobs of
    /// a script that needs packages fail at once until it is there.</summary>
    [Id(8)] public string? Lock { get; init; }
    /// <summary>Why resolving the dependencies failed (Windmill's <c>lock_error_logs</c>).</summary>
    [Id(9)] public string? LockErrorLogs { get; init; }
    /// <summary>This version's id (Windmill's <c>hash</c>): 16 hex digits, set when the version is saved.</summary>
    [Id(10)] public string Hash { get; init; } = "";
    /// <summary>The versions before this one, newest first (Windmill's <c>parent_hashes</c>). On create, its first entry
    /// is the <c>parent_hash</c> the caller names: the version it edited, which must be the latest.</summary>
    [Id(11)] public IReadOnlyList<string> ParentHashes { get; init; } = [];
    /// <summary>What the author said about this version (Windmill's <c>deployment_message</c>).</summary>
    [Id(12)] public string? DeploymentMessage { get; init; }

    /// <summary>The script can run: it needs no package, or its dependencies are resolved.</summary>
    public bool DependenciesReady => Requirements.Count == 0 || Lock is not null;

    /// <summary>Identifies the content a lock was resolved for, so a late resolution of older content is not applied.</summary>
    public string ContentHash => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($"{Language}\n{Content}")));
}

[Alias("Triggers.IScriptGrain")]
public interface IScriptGrain : IGrainWithStringKey
{
    /// <summary>Saves the script, or a new version of it: at a path that holds one, <c>script.ParentHashes[0]</c> must
    /// name its latest version (<see cref="Script.Hash"/>), so that nobody overwrites an edit they have not seen.</summary>
    Task<Script> CreateAsync(Script script);
    Task<Script?> GetAsync();
    Task DeleteAsync();

    /// <summary>Records the outcome of resolving the dependencies of the content with <paramref name="contentHash"/>:
    /// the lock, or the resolver's error. Ignored when the script has changed since.</summary>
    Task SetLockAsync(string contentHash, string? lockText, string? errorLogs);
}

/// <summary>One saved version of a script or flow, kept after newer ones replace it (key: see <see cref="VersionKeys"/>).</summary>
[Alias("Triggers.IVersionGrain`1")]
public interface IVersionGrain<T> : IGrainWithStringKey
{
    Task SaveAsync(T version);
    Task<T?> GetAsync();
    Task DeleteAsync();
}

/// <summary>The keys of <see cref="IVersionGrain{T}"/>: a script version by its hash, a flow version by its id and path.</summary>
public static class VersionKeys
{
    public static string Script(string workspaceId, string hash) => $"{workspaceId}/{hash}";

    public static string Flow(string workspaceId, long version, string path) => $"{workspaceId}/{version}/{path}";
}
