using System.Text.Json.Serialization;
using Triggers.Serialization;

namespace Triggers.Triggers;

[JsonConverter(typeof(NamedEnumConverter<ListenerState>))]
public enum ListenerState
{
    [JsonStringEnumMemberName("starting")] Starting,
    [JsonStringEnumMemberName("listening")] Listening,
    [JsonStringEnumMemberName("error")] Error,
    [JsonStringEnumMemberName("suspended")] Suspended,
    [JsonStringEnumMemberName("stopped")] Stopped,
}

/// <summary>What every kind's status says, whatever else it reports (partitions, lag, counters).</summary>
public interface ITriggerStatus
{
    ListenerState State { get; }
    /// <summary>Why the trigger is in trouble, in words an operator can act on; null when it is not.</summary>
    string? Error { get; }
}

/// <summary>A trigger as the API shows it: its configuration plus where and how it runs.</summary>
[GenerateSerializer, Alias("Triggers.TriggerView`2")]
public sealed record TriggerView<TTrigger, TStatus>
    where TTrigger : ITriggerSettings
    where TStatus : ITriggerStatus
{
    [Id(0)] public required TTrigger Trigger { get; init; }
    /// <summary>The Orleans address of the silo running the trigger's listener; null when it is not running.</summary>
    [Id(1)] public string? ServerId { get; init; }
    /// <summary>When the listener last showed it was alive.</summary>
    [Id(2)] public DateTimeOffset? LastServerPing { get; init; }
    [Id(3)] public required TStatus Status { get; init; }
    [Id(4)] public DateTimeOffset EditedAt { get; init; }
    [Id(5)] public string? EditedBy { get; init; }
}
