using System.Diagnostics;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using Triggers.Jobs;
using Triggers.Jobs.Store;
using Triggers.Telemetry;
using Triggers.Triggers.Kafka.Native;

namespace Triggers.Triggers.Kafka;

/// <summary>
/// One trigger's consumer: a plain poll loop (never on the Orleans scheduler) that turns messages into durable jobs and
/// commits their offsets only afterwards. The loop has a thread of its own while there is work; an idle consumer gives
/// the thread back and waits on librdkafka's signal that something arrived (<see cref="ConsumerWakeup"/>), so idle
/// triggers cost a silo no threads of their own. It never gives up: a failure is reported in <see cref="Status"/> and
/// the consumer is rebuilt after a growing pause.
/// </summary>
public sealed class KafkaTriggerListener : ITriggerListener<KafkaTriggerStatus>
{
    // An idle consumer waits this long for a message on its poll thread before it gives the thread back. Stopping and
    // commit requests wake it (ConsumerWakeup), so the wait can be long: each wake costs CPU, which counts with hundreds
    // of triggers on a silo.
    private static readonly TimeSpan IdlePollTimeout = TimeSpan.FromSeconds(1);
    // librdkafka puts a consumer that has not polled for max.poll.interval.ms out of its group (a blocked Consume counts as
    // polling; a rest does not): a resting consumer polls once in a while all the same.
    private const int MaxPollIntervalMs = 300_000;
    private static readonly TimeSpan RestingPollInterval = TimeSpan.FromMilliseconds(MaxPollIntervalMs / 5);
    private static readonly TimeSpan ErrorPause = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan StatusRefresh = TimeSpan.FromSeconds(1);
    // How long a stopping trigger still tries to store what it read while the store is down, before it gives it (and
    // everything read after it) up to the next owner.
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(10);

    private readonly KafkaListenerSettings _settings;
    private readonly KafkaListenerOptions _options;
    private readonly Backoff _backoff;
    private readonly ILogger _logger;
    private readonly TimeProvider _clock;
    private readonly IJobStore _jobs;
    private readonly CancellationTokenSource _stopping = new();
    private readonly CancellationTokenSource _giveUp = new();
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ListenerStatusTracker _status;
    // A consumer's life's: a rebuilt consumer takes its partitions again and starts with new ones (NewLife).
    private KafkaMessageBatches _batches = null!;
    private JobBatchWriter<List<TopicPartitionOffset>> _writer = null!;
    private readonly System.Collections.Concurrent.ConcurrentQueue<(TopicPartitionOffset Offset, TaskCompletionSource Done)> _requestedCommits = new();
    private volatile Error? _fatal;
    private volatile ConsumerWakeup? _wakeup;
    private IDisposable? _lagTracking;
    private volatile bool _resting;
    private int _rests;

    private readonly TriggerMetrics _metrics;
    private readonly string _metricsName;

    public KafkaTriggerListener(KafkaListenerSettings settings, KafkaListenerOptions options, IJobStore jobs, TriggerMetrics metrics, ILogger logger, TimeProvider clock)
    {
        _metrics = metrics;
        _metricsName = $"{settings.WorkspaceId}/{settings.TriggerPath}";
        _settings = settings;
        _options = options;
        _backoff = new Backoff(options.RetryBackoffMin, options.RetryBackoffMax);
        _logger = logger;
        _clock = clock;
        _jobs = jobs;
        _status = new ListenerStatusTracker(clock, settings.Suspended ? ListenerState.Suspended : ListenerState.Listening);
        _stopping.Token.Register(() => _giveUp.CancelAfter(StopGrace));
    }

    /// <summary>A new consumer's batches and writer. What the last consumer left unwritten is not carried over: the new
    /// one takes its partitions again (which fences the old writes still in flight) and reads from what is stored.</summary>
    private void NewLife()
    {
        _batches = new KafkaMessageBatches(_settings, new KafkaJobFactory(_settings), new MessageFilter(_settings.Filters, _settings.FilterLogic), _clock, _options.MaxBatchBytes);
        _writer = new JobBatchWriter<List<TopicPartitionOffset>>(_jobs, _backoff, _metrics, _metricsName, error => _status.Failed(error), _logger, _giveUp.Token);
    }

    public KafkaTriggerStatus Status => _status.Snapshot();

    /// <summary>When the poll loop last went round: proof that this consumer is alive. A resting consumer is listening
    /// now: librdkafka fetches and heartbeats on its own threads, and signals the loop when anything arrives.</summary>
    public DateTimeOffset? LastPoll => _resting ? _clock.GetUtcNow() : _status.LastPoll;

    /// <summary>Commits <paramref name="offset"/> from the poll loop (the consumer's own thread) and returns once the
    /// broker has it; for a trigger without auto_commit, whose scripts say what is processed.</summary>
    public Task CommitAsync(TopicPartitionOffset offset)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _requestedCommits.Enqueue((offset, done));
        _wakeup?.Wake();
        if (_stopping.IsCancellationRequested) FailRequestedCommits();
        return WithinAsync(done.Task, TimeSpan.FromSeconds(30));
    }

    private static async Task WithinAsync(Task commit, TimeSpan limit)
    {
        try { await commit.WaitAsync(limit); }
        catch (TimeoutException)
        {
            throw new Validation.ConflictException(
                $"The trigger's consumer did not get to the commit within {limit.TotalSeconds:0} s (it may be reconnecting to the broker; see its status). Try again.");
        }
    }

    /// <summary>Whether the consumer rests now, waiting without a thread; and how many times it went to rest.</summary>
    internal bool Resting => _resting;

    internal int Rests => Volatile.Read(ref _rests);

    public void Start()
    {
        _lagTracking = _metrics.TrackLag(_metricsName, () => Status.Partitions.Select(p => new PartitionLag(p.Topic, p.Partition, p.Lag)));
        // Not the grain call's execution context: its request context (who called the API) must not outlive the call.
        using (ExecutionContext.SuppressFlow()) _ = Task.Run(RunAsync);
    }

    private async Task RunAsync()
    {
        var backoff = _backoff.Min;
        try
        {
            while (!_stopping.IsCancellationRequested)
            {
                try
                {
                    await ListenAsync(subscribed: () => backoff = _backoff.Min);
                }
                catch (Exception e) when (!_stopping.IsCancellationRequested)
                {
                    _status.Failed($"The consumer stopped: {KerberosHints.Explain(e.Message)} Retrying in {backoff.TotalSeconds:0.#} s.");
                    _logger.LogWarning("Kafka trigger {Trigger}: consumer failed ({Error}); retrying in {Backoff}", _settings.TriggerPath, e.Message, backoff);
                    await Task.Delay(backoff, _stopping.Token).ContinueWith(_ => { }, TaskScheduler.Default);
                    backoff = _backoff.Next(backoff);
                }
                catch (Exception e)
                {
                    _logger.LogDebug(e, "Kafka trigger {Trigger}: error while stopping", _settings.TriggerPath);
                }
            }
        }
        finally
        {
            _status.Stopped();
            FailRequestedCommits();
            _stopped.TrySetResult();
        }
    }

    /// <summary>One consumer's life. Everything that may block on the broker or the store runs on a thread of its own.</summary>
    private async Task ListenAsync(Action subscribed)
    {
        using var kerberos = KerberosFiles.For(_settings.Connection.Security); // removed when the consumer is done
        NewLife();
        // A Kerberos client runs kinit as it is built.
        var consumer = await OnOwnThreadAsync(() => BuildConsumer(kerberos));
        try
        {
            consumer.Subscribe(_settings.Topics);
            subscribed();
            using (_wakeup = new ConsumerWakeup(consumer))
            using (_stopping.Token.Register(_wakeup.Wake))
            {
                while (await OnOwnThreadAsync(() => Poll(consumer))) await RestAsync(_wakeup);
                await OnOwnThreadAsync(() => Drain(consumer));
            }
            await OnOwnThreadAsync(consumer.Close);
            _logger.LogInformation("Kafka trigger {Trigger}: consumer closed", _settings.TriggerPath);
        }
        finally
        {
            await OnOwnThreadAsync(consumer.Dispose); // waits for librdkafka's threads
        }
    }

    private Task OnOwnThreadAsync(Action work) => OnOwnThreadAsync(() => { work(); return true; });

    private Task<T> OnOwnThreadAsync<T>(Func<T> work)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try { done.TrySetResult(work()); }
            catch (Exception e) { done.TrySetException(e); }
        }) { IsBackground = true, Name = $"kafka-trigger {_settings.WorkspaceId}/{_settings.TriggerPath}" };
        thread.UnsafeStart();
        return done.Task;
    }

    /// <summary>
    /// Waits, without a thread, until the consumer has something to serve (a message, a rebalance, an error), a wake
    /// comes (stop, a commit request), or it is time to poll anyway.
    /// </summary>
    private async Task RestAsync(ConsumerWakeup wakeup)
    {
        _resting = true;
        Interlocked.Increment(ref _rests);
        try { await wakeup.RestAsync(RestingPollInterval, ready: () => _stopping.IsCancellationRequested || !_requestedCommits.IsEmpty); }
        finally
        {
            _status.Polled();
            _resting = false;
        }
    }

    /// <summary>The consumer settings of a trigger; offset resets use them too, to act as the trigger's own member.</summary>
    public static ConsumerConfig ConsumerConfig(KafkaListenerSettings settings, KafkaListenerOptions options, KerberosFiles? kerberos) =>
        KafkaClientConfigs.Apply(new ConsumerConfig
        {
            GroupId = settings.GroupId,
            // Static membership: the trigger's next consumer, wherever Orleans reactivates it, takes over this one's
            // partitions at once instead of waiting for a dead consumer's session to time out. Named by the group (one
            // trigger each), not the path, so a renamed trigger's consumer takes the old one's place too: a static member
            // does not leave when it closes, and under another name it would hold its partitions until its session ended.
            GroupInstanceId = $"{settings.WorkspaceId}/{settings.GroupId}",
            ClientId = $"orleans-triggers/{settings.WorkspaceId}/{settings.TriggerPath}",
            EnableAutoCommit = false,
            AutoOffsetReset = settings.AutoOffsetReset == AutoOffsetReset.Latest ? Confluent.Kafka.AutoOffsetReset.Latest : Confluent.Kafka.AutoOffsetReset.Earliest,
            SessionTimeoutMs = options.SessionTimeoutMs,
            MaxPollIntervalMs = MaxPollIntervalMs,
            HeartbeatIntervalMs = Math.Max(500, options.SessionTimeoutMs / 3),
            TopicMetadataRefreshIntervalMs = 30_000,
            FetchWaitMaxMs = options.FetchWaitMaxMs,
        }, settings.Connection, kerberos);

    private IConsumer<byte[]?, byte[]?> BuildConsumer(KerberosFiles? kerberos)
    {
        var config = ConsumerConfig(_settings, _options, kerberos);
        KafkaClientConfigs.CheckKerberos(config, _settings.Connection);
        return new ConsumerBuilder<byte[]?, byte[]?>(config)
            .SetErrorHandler((_, error) => OnClientError(error))
            .SetLogHandler((_, log) => _logger.LogDebug("librdkafka {Facility}: {Message}", log.Facility, log.Message))
            .SetPartitionsAssignedHandler((_, partitions) =>
            {
                _logger.LogInformation("Kafka trigger {Trigger}: assigned {Partitions}", _settings.TriggerPath, string.Join(", ", partitions));
                // Taken in the store, which fences every former owner's writes; where stored jobs end is ahead of the
                // committed offsets only if a crash came between store and commit.
                var taken = _jobs.TakePartitionsAsync(_settings.SourceKey, [.. partitions.Select(KafkaMessageBatches.PartitionKey)], _stopping.Token).GetAwaiter().GetResult();
                _batches.Assigned(partitions, taken);
                _status.Assigned(partitions);
            })
            .SetPartitionsRevokedHandler((consumer, partitions) =>
            {
                Drain(consumer); // hand over only partitions whose consumed messages are jobs and committed
                _logger.LogInformation("Kafka trigger {Trigger}: revoked {Partitions}", _settings.TriggerPath, string.Join(", ", partitions.Select(p => p.TopicPartition)));
                _batches.Revoked(partitions.Select(p => p.TopicPartition));
                _status.Revoked(partitions.Select(p => p.TopicPartition));
            })
            .SetPartitionsLostHandler((_, partitions) =>
            {
                _batches.Revoked(partitions.Select(p => p.TopicPartition)); // their open batches are read again by the next owner
                _status.Revoked(partitions.Select(p => p.TopicPartition));
            })
            .Build();
    }

    private void OnClientError(Error error)
    {
        if (error.IsFatal)
        {
            _fatal = error; // e.g. fenced by a newer consumer with the same instance id: rebuild
            _wakeup?.Wake();
        }
        _status.Failed($"{KerberosHints.Explain(error.Reason)} ({error.Code})", generic: error.Code == Confluent.Kafka.ErrorCode.Local_AllBrokersDown);
        _logger.LogWarning("Kafka trigger {Trigger}: {Reason} ({Code})", _settings.TriggerPath, error.Reason, error.Code);
    }

    /// <returns>True when the consumer went idle (nothing read for <see cref="IdlePollTimeout"/>, nothing left to
    /// write or commit, no error to watch), false when the trigger stops.</returns>
    private bool Poll(IConsumer<byte[]?, byte[]?> consumer)
    {
        var lastRefresh = Stopwatch.StartNew();
        while (!_stopping.IsCancellationRequested)
        {
            if (_fatal is { } fatal)
            {
                _fatal = null;
                throw new KafkaException(fatal);
            }
            if (_writer.Fenced)
            {
                // Another consumer has its partitions now (this one was frozen, or lost them): nothing more is written
                // or committed from this consumer; a new one takes what the group gives it.
                _status.Fenced();
                throw new FencedWriteException();
            }
            try
            {
                // Block only when nothing is pending (and not past an open batch's window); otherwise drain what is fetched.
                var idle = _batches.Unwritten == 0 && _writer.Idle;
                var message = consumer.Consume(idle ? _batches.PollTimeout(IdlePollTimeout) : TimeSpan.Zero);
                if (message is { IsPartitionEOF: false })
                {
                    _batches.Add(message);
                    if (_batches.Unwritten < _options.MaxBatchSize && _batches.UnwrittenBytes < _options.MaxBatchBytes && !_batches.WindowEnded) continue;
                }
                CommitRequested(consumer);
                _batches.CloseDue(nothingFetched: message is null);
                if (_batches.Take(_clock.GetUtcNow()) is { } batch) _writer.Write(batch, stored => Commit(consumer, stored));
                else _writer.Settle(stored => Commit(consumer, stored)); // nothing more to read right now
                if (idle && message is null && Idle())
                {
                    _status.Polled();
                    _status.Refresh(consumer);
                    return true;
                }
            }
            catch (ConsumeException e)
            {
                _status.Failed(Describe(e.Error));
                _logger.LogWarning("Kafka trigger {Trigger}: {Error}", _settings.TriggerPath, Describe(e.Error));
                _stopping.Token.WaitHandle.WaitOne(ErrorPause);
            }
            _status.Polled();
            if (lastRefresh.Elapsed >= StatusRefresh)
            {
                _status.Refresh(consumer);
                lastRefresh.Restart();
            }
        }
        return false;
    }

    // A batch waiting out its window, and a consumer in error, keep the thread: the window's end is a poll's timeout, and
    // each status refresh checks whether the broker is back.
    private bool Idle() =>
        _batches.Unwritten == 0 && !_batches.WindowOpen && _writer.Idle && _requestedCommits.IsEmpty && _fatal is null && !_status.InError;

    private static string Describe(Error error) => error.Code switch
    {
        Confluent.Kafka.ErrorCode.UnknownTopicOrPart or Confluent.Kafka.ErrorCode.Local_UnknownTopic =>
            $"{error.Reason}. Create the topic or fix the trigger's topics; the trigger keeps checking.",
        _ => $"{error.Reason} ({error.Code})",
    };

    private void Commit(IConsumer<byte[]?, byte[]?> consumer, StoredBatch<List<TopicPartitionOffset>> batch)
    {
        _status.Stored(batch.Events, batch.Created, batch.Filtered, batch.Duplicates, batch.ReadAt);
        // Without auto_commit the stored jobs still count as stored (a message read again finds its job), but the
        // group's position is the scripts' to move.
        if (batch.Position.Count == 0 || !_settings.AutoCommit) return;
        try
        {
            consumer.Commit(batch.Position);
            _status.Committed(batch.Position);
        }
        catch (KafkaException e)
        {
            // The jobs are durable and stored with their positions: if these offsets are redelivered they are skipped.
            _logger.LogWarning("Kafka trigger {Trigger}: commit failed ({Error}); redelivered messages will be skipped as stored", _settings.TriggerPath, e.Error.Reason);
        }
    }

    private void CommitRequested(IConsumer<byte[]?, byte[]?> consumer)
    {
        while (_requestedCommits.TryDequeue(out var request))
            try
            {
                consumer.Commit([request.Offset]);
                _status.Committed([request.Offset]);
                request.Done.TrySetResult();
            }
            catch (KafkaException e)
            {
                request.Done.TrySetException(new Validation.InvalidInputException("partition",
                    $"The broker refused to commit {request.Offset}: {e.Error.Reason}. Is the partition one of the topic's?"));
            }
    }

    private void FailRequestedCommits()
    {
        while (_requestedCommits.TryDequeue(out var request))
            request.Done.TrySetException(new Validation.ConflictException("The trigger's consumer stopped before it could commit; try again."));
    }

    /// <summary>Stores and commits everything consumed so far, e.g. before partitions are handed over.</summary>
    private void Drain(IConsumer<byte[]?, byte[]?> consumer)
    {
        _batches.CloseAll();
        if (_batches.Take(_clock.GetUtcNow()) is { } batch) _writer.Write(batch, stored => Commit(consumer, stored));
        _writer.Settle(stored => Commit(consumer, stored));
        CommitRequested(consumer);
    }

    public async ValueTask DisposeAsync()
    {
        _stopping.Cancel();
        _lagTracking?.Dispose();
        await _stopped.Task.WaitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        _stopping.Dispose();
        _giveUp.Dispose();
    }
}
