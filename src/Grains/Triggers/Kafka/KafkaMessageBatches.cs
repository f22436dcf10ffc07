using System.Diagnostics;
using Confluent.Kafka;
using Triggers.Jobs.Store;

namespace Triggers.Triggers.Kafka;

/// <summary>
/// Groups what a trigger's consumer reads into jobs. Per partition and in offset order, the messages that pass the
/// filters fill a batch of up to <c>batch_size</c>; a batch closes when full, once <c>batch_window_ms</c> has passed
/// since its first message, or, with no window, when nothing more is fetched right now. Messages that a stored job
/// already holds (read again because a crash lost the commit) are skipped, which is what makes a batch's messages get
/// exactly one job even when the batches come out differently the second time. A batch also closes once its messages
/// hold <paramref name="maxBytes"/> (values and keys), so that a backlog of large messages cannot make one job, or
/// one write, as big as batch_size times the message size. Used from the listener's thread only.
/// </summary>
internal sealed class KafkaMessageBatches(KafkaListenerSettings settings, KafkaJobFactory factory, MessageFilter filter, TimeProvider clock, long maxBytes)
{
    private sealed class Partition(string key, PartitionOwnership owner)
    {
        public readonly string Key = key;  // the partition as the job store names it
        public readonly long Epoch = owner.Epoch; // this consumer's ownership, which its writes carry
        public readonly List<ConsumeResult<byte[]?, byte[]?>> Open = [];
        public long ClosedNext = -1;        // the offset after the last message in a closed batch not yet written
        public long OpenedAt;               // when the open batch got its first message (Stopwatch ticks)
        public long OpenBytes;              // the open batch's values and keys
        public long Next = -1;              // the offset after the last message read
        public long Committed = -1;         // the last offset handed over to be committed
        public long StoredNext = owner.Next; // offsets below are in stored jobs
        public long CommitPosition => Open.Count > 0 ? Open[0].Offset.Value : Next;
    }

    private readonly Dictionary<TopicPartition, Partition> _partitions = [];
    private readonly List<NewJob> _closed = [];
    private readonly long _window = (long)(settings.BatchWindow.TotalSeconds * Stopwatch.Frequency);
    private long _windowEnds = long.MaxValue; // the earliest end of an open batch's window
    private int _events, _filtered, _skipped;
    private long _bytes;

    /// <summary>Messages read since the last <see cref="Take"/>.</summary>
    public int Unwritten => _events;

    /// <summary>Bytes of values and keys read since the last <see cref="Take"/>.</summary>
    public long UnwrittenBytes => _bytes;

    /// <summary>A batch is open until its window ends (only a window keeps a batch open while nothing is fetched).</summary>
    public bool WindowOpen => _windowEnds != long.MaxValue;

    /// <summary>An open batch's window has passed.</summary>
    public bool WindowEnded => Stopwatch.GetTimestamp() >= _windowEnds;

    /// <summary>How long a poll may block without keeping a batch past its window.</summary>
    public TimeSpan PollTimeout(TimeSpan longest) =>
        _windowEnds == long.MaxValue ? longest : TimeSpan.FromTicks(Math.Clamp(Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), _windowEnds).Ticks, 0, longest.Ticks));

    /// <summary>Starts reading partitions this consumer took (<see cref="IJobStore.TakePartitionsAsync"/>, by
    /// <see cref="PartitionKey"/>), skipping what is in stored jobs.</summary>
    public void Assigned(IEnumerable<TopicPartition> partitions, IReadOnlyDictionary<string, PartitionOwnership> taken)
    {
        foreach (var partition in partitions)
            _partitions[partition] = new Partition(PartitionKey(partition), taken[PartitionKey(partition)]);
    }

    /// <summary>Forgets partitions handed to another consumer (after <see cref="CloseAll"/>, or lost with their open batches).</summary>
    public void Revoked(IEnumerable<TopicPartition> partitions)
    {
        foreach (var partition in partitions) _partitions.Remove(partition);
        RecomputeWindowEnd();
    }

    public static string PartitionKey(TopicPartition partition) => $"{partition.Topic}\n{partition.Partition.Value}";

    public void Add(ConsumeResult<byte[]?, byte[]?> message)
    {
        // Only from a partition this consumer took: one it was not given (or lost) is not its to write or commit.
        if (!_partitions.TryGetValue(message.TopicPartition, out var partition)) return;
        _events++;
        var size = (long)(message.Message.Value?.Length ?? 0) + (message.Message.Key?.Length ?? 0);
        _bytes += size;
        var offset = message.Offset.Value;
        partition.Next = offset + 1;
        if (offset < partition.StoredNext) _skipped++;
        else if (!filter.Matches(message.Message.Value)) _filtered++; // committed with the rest: handled by being skipped
        else
        {
            if (partition.Open.Count == 0)
            {
                partition.OpenedAt = Stopwatch.GetTimestamp();
                if (_window > 0) _windowEnds = Math.Min(_windowEnds, partition.OpenedAt + _window);
            }
            partition.Open.Add(message);
            partition.OpenBytes += size;
            if (partition.Open.Count >= settings.BatchSize || partition.OpenBytes >= maxBytes) Close(partition);
        }
    }

    /// <summary>Closes the batches that are due: with a window, those whose window has passed; without, all of them,
    /// once <paramref name="nothingFetched"/> says the consumer has handed over everything it has.</summary>
    public void CloseDue(bool nothingFetched)
    {
        if (_window == 0 ? !nothingFetched : !WindowEnded) return;
        var now = Stopwatch.GetTimestamp();
        foreach (var partition in _partitions.Values)
            if (partition.Open.Count > 0 && (_window == 0 || partition.OpenedAt + _window <= now)) Close(partition);
        RecomputeWindowEnd();
    }

    /// <summary>Closes every open batch, e.g. before partitions are handed over or the consumer stops.</summary>
    public void CloseAll()
    {
        foreach (var partition in _partitions.Values)
            if (partition.Open.Count > 0) Close(partition);
        _windowEnds = long.MaxValue;
    }

    /// <summary>
    /// The closed batches as jobs, with the positions they reach and the offsets to commit once they are stored (up to
    /// the first message of a batch still open); null when there is nothing to write or commit.
    /// </summary>
    public JobBatch<List<TopicPartitionOffset>>? Take(DateTimeOffset now)
    {
        var commit = new List<TopicPartitionOffset>();
        var reached = new List<TriggerPosition>();
        foreach (var (topicPartition, partition) in _partitions)
        {
            if (partition.ClosedNext >= 0)
            {
                reached.Add(new TriggerPosition(settings.SourceKey, partition.Key, partition.ClosedNext, partition.Epoch));
                partition.ClosedNext = -1;
            }
            if (partition.CommitPosition <= partition.Committed) continue;
            partition.Committed = partition.CommitPosition;
            commit.Add(new TopicPartitionOffset(topicPartition, partition.Committed));
        }
        if (_events == 0 && _closed.Count == 0 && commit.Count == 0) return null;
        var batch = new JobBatch<List<TopicPartitionOffset>>([.. _closed], reached, commit, _events, _filtered, _skipped, now);
        _closed.Clear();
        _events = _filtered = _skipped = 0;
        _bytes = 0;
        return batch;
    }

    private void Close(Partition partition)
    {
        var messages = partition.Open.ToList();
        partition.Open.Clear();
        partition.OpenBytes = 0;
        _closed.Add(new NewJob(factory.Create(messages, clock.GetUtcNow()), messages.Count));
        partition.ClosedNext = messages[^1].Offset.Value + 1; // stored with the write, once per partition
    }

    private void RecomputeWindowEnd()
    {
        _windowEnds = long.MaxValue;
        if (_window == 0) return;
        foreach (var partition in _partitions.Values)
            if (partition.Open.Count > 0) _windowEnds = Math.Min(_windowEnds, partition.OpenedAt + _window);
    }
}
