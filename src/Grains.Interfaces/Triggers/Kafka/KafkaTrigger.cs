using System.Text.Json;
using System.Text.Json.Serialization;
using Triggers.Serialization;

namespace Triggers.Triggers.Kafka;

[JsonConverter(typeof(NamedEnumConverter<AutoOffsetReset>))]
public enum AutoOffsetReset
{
    [JsonStringEnumMemberName("earliest")] Earliest,
    [JsonStringEnumMemberName("latest")] Latest,
}

/// <summary>In which order a trigger's jobs may run.</summary>
[JsonConverter(typeof(NamedEnumConverter<JobOrdering>))]
public enum JobOrdering
{
    /// <summary>Any free worker slot runs any queued job (Windmill's behaviour).</summary>
    [JsonStringEnumMemberName("none")] None,
    /// <summary>A partition's jobs run one after another, in offset order.</summary>
    [JsonStringEnumMemberName("partition")] Partition,
    /// <summary>Jobs of one message key run one after another, in offset order; different keys run in parallel.</summary>
    [JsonStringEnumMemberName("key")] Key,
}

/// <summary>What a user configures on a Kafka trigger (the read-only status lives in <see cref="KafkaTriggerStatus"/>).</summary>
[GenerateSerializer, Alias("Triggers.KafkaTrigger")]
public sealed record KafkaTrigger : ITriggerSettings
{
    /// <summary>The kind's name: the <c>trigger_kind</c> of its jobs and the <c>kind</c> of its events.</summary>
    public const string Kind = "kafka";

    [Id(0)] public string Path { get; init; } = "";
    [Id(1)] public string ScriptPath { get; init; } = "";
    [Id(2)] public bool IsFlow { get; init; }
    [Id(3)] public string KafkaResourcePath { get; init; } = "";
    [Id(4)] public IReadOnlyList<string> Topics { get; init; } = [];
    [Id(5)] public string? GroupId { get; init; }
    [Id(6)] public TriggerMode Mode { get; init; } = TriggerMode.Enabled;
    [Id(7)] public string? ErrorHandlerPath { get; init; }
    [Id(8)] public JsonElement? ErrorHandlerArgs { get; init; }
    [Id(9)] public RetryPolicy? Retry { get; init; }
    [Id(10)] public IReadOnlyList<TriggerFilter>? Filters { get; init; }
    /// <summary>Where a consumer group with no committed offset starts: latest by default, as in Windmill, so that a
    /// trigger created on a topic with a long history does not replay all of it (set earliest for that).</summary>
    [Id(11)] public AutoOffsetReset AutoOffsetReset { get; init; } = AutoOffsetReset.Latest;
    /// <summary>When set, a message whose job finally fails is produced here unchanged, with headers naming the
    /// trigger, the job and the error.</summary>
    [Id(12)] public string? DeadLetterTopic { get; init; }
    /// <summary>Most messages of one partition a job receives (1 to <see cref="MaxBatchSize"/>); above 1, main gets
    /// <c>payloads</c> and a preprocessor gets a <c>kafka_batch</c> event.</summary>
    [Id(13)] public int BatchSize { get; init; } = 1;
    /// <summary>How long a batch may wait for more messages after its first (0 to <see cref="MaxBatchWindowMs"/>); with
    /// 0 a batch holds what was fetched together.</summary>
    [Id(14)] public int BatchWindowMs { get; init; }
    [Id(15)] public IReadOnlyList<string>? Labels { get; init; }
    [Id(16)] public FilterLogic FilterLogic { get; init; }
    /// <summary>Whether the trigger commits the offsets of the messages it has queued as jobs (the default). When false,
    /// the group's position moves only when a script (or anyone) calls <c>commit_offsets</c>, as in Windmill.</summary>
    [Id(17)] public bool AutoCommit { get; init; } = true;
    /// <summary>Whether jobs wait for the earlier jobs of their partition or key. A job that fails holds the ones after
    /// it until it succeeds or finally fails (retries included).</summary>
    [Id(18)] public JobOrdering Ordering { get; init; }

    public const int MaxBatchSize = 10_000;
    public const int MaxBatchWindowMs = 300_000;

    /// <summary>The consumer group used when none is given: <c>trigger-{ws}-{path with "/" as "__"}</c>.</summary>
    public static string DefaultGroupId(string workspaceId, string path) => $"trigger-{workspaceId}-{path.Replace("/", "__")}";
}

[GenerateSerializer, Alias("Triggers.PartitionStatus")]
public sealed record PartitionStatus(
    [property: Id(0)] string Topic,
    [property: Id(1)] int Partition,
    [property: Id(2)] long? CommittedOffset,
    [property: Id(3)] long? Lag);

/// <summary>How a trigger's consumer is doing right now.</summary>
[GenerateSerializer, Alias("Triggers.KafkaTriggerStatus")]
public sealed record KafkaTriggerStatus : ITriggerStatus
{
    [Id(0)] public ListenerState State { get; init; } = ListenerState.Stopped;
    [Id(1)] public IReadOnlyList<PartitionStatus> Partitions { get; init; } = [];
    [Id(2)] public long MessagesReceived { get; init; }
    [Id(3)] public long JobsCreated { get; init; }
    /// <summary>Messages read again (after a restart, rebalance or reset) that already had their job.</summary>
    [Id(4)] public long DuplicatesSkipped { get; init; }
    /// <summary>Messages committed without a job because they did not match the trigger's filters.</summary>
    [Id(8)] public long MessagesFiltered { get; init; }
    [Id(5)] public string? Error { get; init; }
    [Id(6)] public DateTimeOffset? ErrorAt { get; init; }
    [Id(7)] public DateTimeOffset? LastMessageAt { get; init; }
    /// <summary>Writes of this trigger refused because another consumer had taken one of their partitions since (a
    /// consumer that was frozen, lost its partitions or was rebuilt): their messages are the new owner's.</summary>
    [Id(9)] public long FencedWrites { get; init; }
}

/// <summary>One Kafka trigger (key <c>{workspace}/{path}</c>): its configuration and the lifetime of its consumer.</summary>
[Alias("Triggers.IKafkaTriggerGrain")]
public interface IKafkaTriggerGrain : ITriggerGrain<KafkaTrigger, KafkaTriggerStatus>
{
    /// <summary>
    /// Moves the consumer group's committed offsets on every partition of the trigger's topics to the earliest or
    /// latest offset (by default the trigger's <see cref="KafkaTrigger.AutoOffsetReset"/>), then resumes.
    /// </summary>
    Task<TriggerView<KafkaTrigger, KafkaTriggerStatus>> ResetOffsetsAsync(AutoOffsetReset? to);

    /// <summary>
    /// For a trigger with <c>auto_commit</c> off: marks the message at <paramref name="offset"/> of the partition, and
    /// every one before it, as processed, by committing <paramref name="offset"/> + 1 (the next to read) for the group.
    /// Returns once the broker has it.
    /// </summary>
    Task CommitOffsetAsync(string topic, int partition, long offset);
}
