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
}

[Alias("Triggers.IScriptGrain")]
public interface IScriptGrain : IGrainWithStringKey
{
    Task<Script> CreateAsync(Script script);
    Task<Script?> GetAsync();
    Task DeleteAsync();
}
