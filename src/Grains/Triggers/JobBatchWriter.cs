using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Triggers.Jobs;
using Triggers.Jobs.Store;
using Triggers.Telemetry;

namespace Triggers.Triggers;

/// <summary>A job a listener made from <paramref name="Events"/> of its source's events (one, or a batch).</summary>
public sealed record NewJob(JobRecord Job, int Events);

/// <summary>What a listener read since its last write, for <see cref="JobBatchWriter{TPosition}"/> to make durable.</summary>
/// <param name="Reached">How far the jobs take the trigger in each partition, stored with them.</param>
/// <param name="Position">Where the source stands after the batch (Kafka: the next offset of each partition to commit).</param>
/// <param name="Events">Events read: in <paramref name="Jobs"/>, <paramref name="Filtered"/> out by the filters, or
/// <paramref name="Skipped"/> because a stored job already has them.</param>
public sealed record JobBatch<TPosition>(
    IReadOnlyList<NewJob> Jobs, IReadOnlyList<TriggerPosition> Reached, TPosition Position, int Events, int Filtered, int Skipped, DateTimeOffset ReadAt);

/// <summary>A batch whose jobs are durable: what the listener commits to its source.</summary>
/// <param name="Created">New jobs; <paramref name="Duplicates"/> counts the events that found the job they already had.</param>
public sealed record StoredBatch<TPosition>(TPosition Position, int Events, int Created, int Filtered, int Duplicates, DateTimeOffset ReadAt);

/// <summary>
/// The at-least-once half of every listener: a batch's jobs are written while the listener reads the next batch (a
/// two-stage pipeline, so the listener waits for the database only when it has nothing else to do), and the batch's
/// position is committed to its source only once its jobs are durable. A failed write is retried until the store
/// takes it, with nothing committed meanwhile, so a crash loses nothing: the source redelivers. The jobs are stored
/// with the position they reach, so a listener that starts again skips what is stored even if the commit was lost,
/// and deterministic job ids catch any other repeat.
/// <para>
/// The invariant: <b>nothing passes an unwritten batch.</b> Batches are written one after another, and once one is not
/// written (the trigger stopped while the store was down past <paramref name="giveUp"/>, or the store refused it
/// because another consumer took one of its partitions), no later batch is written or committed by this writer:
/// stored positions and committed offsets stay before the first message without a job, where the next owner starts.
/// A writer serves one consumer's life: a rebuilt consumer gets a new one.
/// </para>
/// Used from the listener's own thread.
/// </summary>
/// <param name="giveUp">When a write still waiting for the store is given up: some time after the trigger stops.</param>
public sealed class JobBatchWriter<TPosition>(
    IJobStore store, Backoff backoff, TriggerMetrics metrics, string trigger, Action<string> reportFailure, ILogger logger, CancellationToken giveUp)
{
    private sealed record PendingWrite(Task<IReadOnlySet<Guid>> Created, JobBatch<TPosition> Batch, Stopwatch Since);

    private PendingWrite? _inFlight;

    /// <summary>No write is waiting to be committed.</summary>
    public bool Idle => _inFlight is null;

    /// <summary>Why this writer writes nothing more (a batch was given up or refused), or null while it writes.</summary>
    public string? Stopped { get; private set; }

    /// <summary>The store refused a batch because another consumer took one of its partitions.</summary>
    public bool Fenced { get; private set; }

    /// <summary>Settles the write in flight, then starts writing <paramref name="batch"/>, unless an earlier batch was
    /// not written: then <paramref name="batch"/> is dropped, to be read again by the next owner.</summary>
    public void Write(JobBatch<TPosition> batch, Action<StoredBatch<TPosition>> commit)
    {
        Settle(commit);
        if (Stopped is not null) return;
        var created = batch.Jobs.Count == 0 && batch.Reached.Count == 0 ? Task.FromResult<IReadOnlySet<Guid>>(new HashSet<Guid>()) : StoreAsync(batch);
        _inFlight = new PendingWrite(created, batch, Stopwatch.StartNew());
    }

    /// <summary>Waits for the write in flight and hands it to <paramref name="commit"/>: only durable jobs advance the source.</summary>
    public void Settle(Action<StoredBatch<TPosition>> commit)
    {
        if (_inFlight is not { } write) return;
        _inFlight = null;
        IReadOnlySet<Guid> created;
        try
        {
            created = write.Created.GetAwaiter().GetResult();
        }
        catch (OperationCanceledException)
        {
            Stopped = "the trigger stopped before the store took a batch";
            logger.LogWarning("Trigger {Trigger}: stopped before {Count} jobs were stored; they and everything after them are read again by the next consumer", trigger, write.Batch.Jobs.Count);
            return;
        }
        catch (FencedWriteException e)
        {
            Stopped = e.Message;
            Fenced = true;
            metrics.WriteFenced(trigger);
            logger.LogWarning("Trigger {Trigger}: {Count} jobs refused, another consumer took one of their partitions", trigger, write.Batch.Jobs.Count);
            return;
        }
        var batch = write.Batch;
        var duplicates = batch.Skipped + batch.Jobs.Where(j => !created.Contains(j.Job.Id)).Sum(j => j.Events);
        commit(new StoredBatch<TPosition>(batch.Position, batch.Events, created.Count, batch.Filtered, duplicates, batch.ReadAt));
        metrics.BatchStored(trigger, batch.Events, created.Count, batch.Filtered, write.Since.Elapsed);
    }

    private async Task<IReadOnlySet<Guid>> StoreAsync(JobBatch<TPosition> batch)
    {
        var jobs = batch.Jobs.Select(j => j.Job).ToList();
        var wait = backoff.Min;
        while (true)
        {
            try
            {
                return await store.EnqueueAsync(jobs, batch.Reached, giveUp).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not FencedWriteException && !giveUp.IsCancellationRequested)
            {
                reportFailure($"Could not store jobs: {e.Message}. Retrying in {wait.TotalSeconds:0.#} s.");
                logger.LogWarning("Trigger {Trigger}: storing {Count} jobs failed ({Error})", trigger, jobs.Count, e.Message);
                await Task.Delay(wait, giveUp).ConfigureAwait(false);
                wait = backoff.Next(wait);
            }
            catch (Exception e) when (e is not FencedWriteException)
            {
                throw new OperationCanceledException(giveUp);
            }
        }
    }
}
