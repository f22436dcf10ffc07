using System.Text.Json;
using System.Text.Json.Serialization;
using Triggers.Serialization;

namespace Triggers.Triggers;

[JsonConverter(typeof(NamedEnumConverter<TriggerMode>))]
public enum TriggerMode
{
    [JsonStringEnumMemberName("enabled")] Enabled,
    [JsonStringEnumMemberName("disabled")] Disabled,
    /// <summary>Listening, but the jobs it queues are held until the trigger is enabled again.</summary>
    [JsonStringEnumMemberName("suspended")] Suspended,
}

/// <summary>
/// The settings every trigger kind shares: what it runs, whether it listens, and what happens to a job that fails.
/// A kind's own configuration record implements this next to its kind-specific fields, so the API shows them flat.
/// </summary>
public interface ITriggerSettings
{
    string Path { get; }
    /// <summary>The runnable each event runs: a script's path, or a flow's when <see cref="IsFlow"/>.</summary>
    string ScriptPath { get; }
    bool IsFlow { get; }
    TriggerMode Mode { get; }
    /// <summary>A script that handles this trigger's finally failed jobs, instead of the workspace's handler.</summary>
    string? ErrorHandlerPath { get; }
    JsonElement? ErrorHandlerArgs { get; }
    RetryPolicy? Retry { get; }
    IReadOnlyList<TriggerFilter>? Filters { get; }
    FilterLogic FilterLogic => FilterLogic.And;
    /// <summary>Free-form tags to find triggers by (Windmill's <c>labels</c>; <c>list?label=a,b</c>).</summary>
    IReadOnlyList<string>? Labels => null;
}

/// <summary>What the job path needs to know about a trigger when one of its jobs fails.</summary>
[GenerateSerializer, Alias("Triggers.TriggerFailurePolicy")]
public sealed record TriggerFailurePolicy(
    [property: Id(0)] RetryPolicy? Retry,
    [property: Id(1)] string? ErrorHandlerPath,
    [property: Id(2)] JsonElement? ErrorHandlerArgs)
{
    public static TriggerFailurePolicy Of(ITriggerSettings trigger) => new(trigger.Retry, trigger.ErrorHandlerPath, trigger.ErrorHandlerArgs);
}
