using Confluent.Kafka;

namespace Triggers.Triggers.Kafka;

/// <summary>
/// The listener's status, written by its poll thread and read by the trigger grain; a lock keeps each
/// snapshot consistent.
/// </summary>
internal sealed class ListenerStatusTracker(TimeProvider clock, ListenerState healthy)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<TopicPartition, PartitionStatus> _partitions = [];
    private ListenerState _state = ListenerState.Starting;
    private string? _error;
    private DateTimeOffset? _errorAt;
    private DateTimeOffset? _lastMessageAt;
    private long _received, _created, _duplicates, _filtered, _fenced;
    private long _lastPollTicks;

    public DateTimeOffset? LastPoll => Interlocked.Read(ref _lastPollTicks) is var t and > 0 ? new DateTimeOffset(t, TimeSpan.Zero) : null;

    public bool InError
    {
        get { lock (_gate) return _state == ListenerState.Error; }
    }

    public void Polled() => Interlocked.Exchange(ref _lastPollTicks, clock.GetUtcNow().UtcTicks);

    public void Assigned(IEnumerable<TopicPartition> partitions)
    {
        lock (_gate)
        {
            foreach (var p in partitions) _partitions[p] = new PartitionStatus(p.Topic, p.Partition.Value, null, null);
            Recovered();
        }
    }

    public void Revoked(IEnumerable<TopicPartition> partitions)
    {
        lock (_gate) foreach (var p in partitions) _partitions.Remove(p);
    }

    /// <param name="generic">An error that only repeats the consequence of an earlier one (all brokers down after a
    /// TLS or SASL failure): it does not replace the recent, more precise error an operator needs to see.</param>
    public void Failed(string error, bool generic = false)
    {
        lock (_gate)
        {
            if (generic && _state == ListenerState.Error && _errorAt > clock.GetUtcNow().AddSeconds(-30)) return;
            _state = ListenerState.Error;
            _error = error;
            _errorAt = clock.GetUtcNow();
        }
    }

    public void Stored(int received, int created, int filtered, int duplicates, DateTimeOffset at)
    {
        lock (_gate)
        {
            _received += received;
            _created += created;
            _filtered += filtered;
            _duplicates += duplicates;
            _lastMessageAt = at;
            Recovered();
        }
    }

    /// <summary>A write was refused: another consumer took one of its partitions since this one was given it.</summary>
    public void Fenced()
    {
        lock (_gate) _fenced++;
    }

    public void Committed(IEnumerable<TopicPartitionOffset> offsets)
    {
        lock (_gate)
            foreach (var o in offsets)
                if (_partitions.TryGetValue(o.TopicPartition, out var p))
                    _partitions[o.TopicPartition] = p with { CommittedOffset = o.Offset.Value };
    }

    /// <summary>Recomputes lag from the client's cached watermarks, and notices a broker that came back.</summary>
    public void Refresh(IConsumer<byte[]?, byte[]?> consumer)
    {
        var assignment = consumer.Assignment;
        var lags = new List<(TopicPartition Partition, long? Lag)>();
        var reachable = false;
        foreach (var tp in assignment)
        {
            var high = consumer.GetWatermarkOffsets(tp).High;
            var position = consumer.Position(tp);
            lags.Add((tp, high.Value >= 0 && position.Value >= 0 ? Math.Max(0, high.Value - position.Value) : null));
        }
        if (_state == ListenerState.Error && assignment.Count > 0)
        {
            // The error may be stale (a broker that was down); one cheap metadata round trip tells.
            try
            {
                consumer.QueryWatermarkOffsets(assignment[0], TimeSpan.FromSeconds(2));
                reachable = true;
            }
            catch (KafkaException) { }
        }
        lock (_gate)
        {
            foreach (var (tp, lag) in lags)
                if (_partitions.TryGetValue(tp, out var p)) _partitions[tp] = p with { Lag = lag };
            if (reachable) Recovered();
        }
    }

    public void Stopped()
    {
        lock (_gate)
        {
            _state = ListenerState.Stopped;
            _partitions.Clear();
        }
    }

    private void Recovered()
    {
        if (_state == ListenerState.Stopped) return;
        _state = healthy;
        _error = null;
    }

    public KafkaTriggerStatus Snapshot()
    {
        lock (_gate)
            return new KafkaTriggerStatus
            {
                State = _state,
                Partitions = _partitions.Values.OrderBy(p => p.Topic).ThenBy(p => p.Partition).ToList(),
                MessagesReceived = _received,
                JobsCreated = _created,
                DuplicatesSkipped = _duplicates,
                FencedWrites = _fenced,
                MessagesFiltered = _filtered,
                Error = _error,
                ErrorAt = _errorAt,
                LastMessageAt = _lastMessageAt,
            };
    }
}
