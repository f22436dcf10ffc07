using System.Text.Json;

namespace Triggers.Captures;

/// <summary>A real trigger payload captured for a script or flow, to build and test its preprocessor (Windmill's capture).</summary>
/// <param name="MainArgs">What main would get without a preprocessor (Kafka: <c>{"payload": base64}</c>).</param>
/// <param name="PreprocessorArgs">What a preprocessor would get: <c>{"event": {...}}</c>.</param>
[GenerateSerializer, Alias("Triggers.Capture")]
public sealed record Capture(
    [property: Id(0)] long Id,
    [property: Id(1)] DateTimeOffset CreatedAt,
    [property: Id(2)] string TriggerKind,
    [property: Id(3)] JsonElement MainArgs,
    [property: Id(4)] JsonElement PreprocessorArgs);

/// <summary>How captures of one trigger kind are taken for a runnable, and how its listener is doing.</summary>
[GenerateSerializer, Alias("Triggers.CaptureConfig")]
public sealed record CaptureConfig(
    [property: Id(0)] string TriggerKind,
    [property: Id(1)] JsonElement? TriggerConfig,
    [property: Id(2)] string? Error,
    [property: Id(3)] DateTimeOffset? LastServerPing);

/// <summary>
/// A workspace's captures (key: the workspace id): their configurations, the listeners that run while an editor pings
/// them, and the last payloads of each runnable.
/// </summary>
[Alias("Triggers.ICaptureGrain")]
public interface ICaptureGrain : IGrainWithStringKey
{
    Task<JsonElement?> SetConfigAsync(string triggerKind, string path, bool isFlow, JsonElement? triggerConfig);

    /// <summary>Keeps the runnable's capture of <paramref name="triggerKind"/> listening for a while (Windmill: 10 s).</summary>
    Task PingAsync(string triggerKind, string path, bool isFlow);

    Task<IReadOnlyList<CaptureConfig>> GetConfigsAsync(string path, bool isFlow);

    /// <summary>The runnable's captures, newest first.</summary>
    Task<IReadOnlyList<Capture>> ListAsync(string path, bool isFlow, string? triggerKind);

    Task<Capture?> GetAsync(long id);

    Task DeleteAsync(long id);

    /// <summary>Stores a payload the listener of capture session <paramref name="session"/> caught (called from its
    /// thread); a session that has ended (no ping for too long) stores nothing more.</summary>
    Task AddAsync(Guid session, string triggerKind, string path, bool isFlow, string mainArgsJson, string preprocessorArgsJson);
}
