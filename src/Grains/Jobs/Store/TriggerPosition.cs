namespace Triggers.Jobs.Store;

/// <summary>
/// How far a trigger got in one partition of its source: <paramref name="Next"/> is the first position (Kafka: offset)
/// not yet in one of its stored jobs.
/// </summary>
/// <param name="Trigger">The trigger and the source it reads, e.g. kind, workspace, path and consumer group.</param>
/// <param name="Partition">The partition of the source, e.g. a Kafka topic and partition.</param>
public sealed record TriggerPosition(string Trigger, string Partition, long Next);
