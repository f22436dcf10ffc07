namespace Triggers.Triggers.Kafka;

/// <summary>Everything a running consumer needs, resolved from the trigger and its resource when it starts.</summary>
public sealed record KafkaListenerSettings(
    string WorkspaceId,
    string TriggerPath,
    string RunnablePath,
    bool IsFlow,
    string GroupId,
    IReadOnlyList<string> Topics,
    KafkaConnection Connection,
    AutoOffsetReset AutoOffsetReset,
    IReadOnlyList<TriggerFilter>? Filters = null,
    bool Suspended = false,
    int BatchSize = 1,
    TimeSpan BatchWindow = default,
    long Generation = 0,
    FilterLogic FilterLogic = FilterLogic.And,
    bool AutoCommit = true,
    JobOrdering Ordering = JobOrdering.None,
    string? BrokerEpoch = null)
{
    /// <summary>
    /// The trigger and group as the job store knows them: the key of stored positions. With a broker that keeps its
    /// log in memory (the development broker, which starts empty every time), also that broker's life: offsets of an
    /// earlier life, and the jobs made from them, do not count as this one's.
    /// </summary>
    public string SourceKey => BrokerEpoch is null ? SourceKeyOf(WorkspaceId, TriggerPath, GroupId) : $"{SourceKeyOf(WorkspaceId, TriggerPath, GroupId)}\n{BrokerEpoch}";

    /// <summary>
    /// What every job id of this consumer is derived from, with the message's topic, partition and offset: the source
    /// and the trigger's generation. A message read again after a crash or rebalance maps to the job it already has;
    /// after reset_offsets, or once the trigger is deleted and created again, the generation differs and the message
    /// read again becomes a new job.
    /// </summary>
    public string JobIdPrefix => $"{SourceKey}\n{Generation}\n";

    public static string SourceKeyOf(string workspaceId, string triggerPath, string groupId) => $"{KafkaTrigger.Kind}\n{workspaceId}\n{triggerPath}\n{groupId}";
}

/// <summary>Consumer tuning shared by all triggers of a silo (configuration section <c>Kafka</c>).</summary>
public sealed class KafkaListenerOptions
{
    public const string Section = "Kafka";

    /// <summary>
    /// How long the group waits for a silent consumer before giving its partitions to others: a killed silo's triggers
    /// wait about this long to consume again. 6 s is the least a Kafka broker accepts by default
    /// (<c>group.min.session.timeout.ms</c>).
    /// </summary>
    public int SessionTimeoutMs { get; set; } = 6_000;

    /// <summary>
    /// Longest time a broker may hold a fetch while it has no new data (librdkafka's fetch.wait.max.ms). Kafka
    /// answers as soon as data arrives, so this mostly bounds idle round trips.
    /// </summary>
    public int FetchWaitMaxMs { get; set; } = 500;

    /// <summary>Largest number of messages turned into jobs in one store write (a trigger's batch can exceed it).</summary>
    public int MaxBatchSize { get; set; } = 5_000;

    /// <summary>
    /// Most bytes of messages (values and keys) turned into jobs in one store write, and in one job of a trigger with
    /// batch_size above 1: a backlog of large messages is written in pieces rather than all at once.
    /// </summary>
    public long MaxBatchBytes { get; set; } = 16 << 20;

    /// <summary>First and longest wait between attempts to (re)start a failed consumer.</summary>
    public TimeSpan RetryBackoffMin { get; set; } = TimeSpan.FromSeconds(1);
    public TimeSpan RetryBackoffMax { get; set; } = TimeSpan.FromSeconds(30);
}
