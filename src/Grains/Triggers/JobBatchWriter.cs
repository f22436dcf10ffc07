using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Triggers.Jobs;
using Triggers.Jobs.Store;
using Triggers.Telemetry;

namespace Triggers.Triggers;

/// <summary>A batch whose jobs are durable: what the listener commits to its source.</summary>
/// <param name="Position">Where the source stands after the batch (Kafka: the next offset of each partition).</param>
/// <param name="Events">Events read; <paramref name="Created"/> new jobs and <paramref name="Filtered"/> skipped by
/// the filters; the rest found the job they already had.</param>
public sealed record StoredBatch<TPosition>(TPosition Position, int Events, int Created, int Filtered, DateTimeOffset ReadAt);

/// <summary>
/// The at-least-once half of every listener: a batch's jobs are written while the listener reads the next batch (a
/// two-stage pipeline, so the listener waits for the database only when it has nothing else to do), and the batch's
/// position is committed to its source only once its jobs are durable. A failed write is retried until the store
/// takes it, with nothing committed meanwhile, so a crash loses nothing: the source redelivers, and deterministic job
/// ids make the repeat find its jobs. Used from the listener's own thread.
/// </summary>
public sealed class JobBatchWriter<TPosition>(
    IJobStore store, Backoff backoff, TriggerMetrics metrics, string trigger, Action<string> reportFailure, ILogger logger, CancellationToken stopping)
{
    private sealed record PendingWrite(Task<int> Created, TPosition Position, int Events, int Filtered, DateTimeOffset ReadAt, Stopwatch Since);

    private PendingWrite? _inFlight;

    /// <summary>No write is waiting to be committed.</summary>
    public bool Idle => _inFlight is null;

    /// <summary>Settles the write in flight, then starts writing <paramref name="jobs"/>.</summary>
    public void Write(IReadOnlyList<JobRecord> jobs, TPosition position, int events, DateTimeOffset readAt, Action<StoredBatch<TPosition>> commit)
    {
        Settle(commit);
        var created = jobs.Count == 0 ? Task.FromResult(0) : StoreAsync(jobs);
        _inFlight = new PendingWrite(created, position, events, events - jobs.Count, readAt, Stopwatch.StartNew());
    }

    /// <summary>Waits for the write in flight and hands it to <paramref name="commit"/>: only durable jobs advance the source.</summary>
    public void Settle(Action<StoredBatch<TPosition>> commit)
    {
        if (_inFlight is not { } write) return;
        _inFlight = null;
        int created;
        try { created = write.Created.GetAwaiter().GetResult(); }
        catch (OperationCanceledException) { return; } // stopping before the jobs were stored: nothing is committed
        commit(new StoredBatch<TPosition>(write.Position, write.Events, created, write.Filtered, write.ReadAt));
        metrics.BatchStored(trigger, write.Events, created, write.Filtered, write.Since.Elapsed);
    }

    private async Task<int> StoreAsync(IReadOnlyList<JobRecord> jobs)
    {
        var wait = backoff.Min;
        while (true)
        {
            try
            {
                return await store.EnqueueAsync(jobs).ConfigureAwait(false);
            }
            catch (Exception e) when (!stopping.IsCancellationRequested)
            {
                reportFailure($"Could not store jobs: {e.Message}. Retrying in {wait.TotalSeconds:0.#} s.");
                logger.LogWarning("Trigger {Trigger}: storing {Count} jobs failed ({Error})", trigger, jobs.Count, e.Message);
                await Task.Delay(wait, stopping).ConfigureAwait(false);
                wait = backoff.Next(wait);
            }
            catch (Exception) when (stopping.IsCancellationRequested)
            {
                throw new OperationCanceledException(stopping);
            }
        }
    }
}
