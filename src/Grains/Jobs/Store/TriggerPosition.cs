namespace Triggers.Jobs.Store;

/// <summary>
/// How far a trigger got in one partition of its source: <paramref name="Next"/> is the first position (Kafka: offset)
/// not yet in one of its stored jobs.
/// </summary>
/// <param name="Trigger">The trigger and the source it reads, e.g. kind, workspace, path and consumer group.</param>
/// <param name="Partition">The partition of the source, e.g. a Kafka topic and partition.</param>
/// <param name="Epoch">The ownership the writer took with <see cref="IJobStore.TakePartitionsAsync"/>: a write whose
/// epoch is no longer the partition's is refused whole (<see cref="FencedWriteException"/>).</param>
public sealed record TriggerPosition(string Trigger, string Partition, long Next, long Epoch);

/// <summary>A partition a consumer just took: where its stored jobs end, and the epoch its writes carry.</summary>
public sealed record PartitionOwnership(long Next, long Epoch);

/// <summary>A write refused because another consumer took one of its partitions since the writer did: its jobs and
/// positions were not stored, and the writer no longer owns what it read.</summary>
public sealed class FencedWriteException()
    : Exception("Another consumer took over a partition of this write since this one was given it: nothing of the write was stored.");
