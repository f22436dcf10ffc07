using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Triggers.Extensions;
using Triggers.Jobs.Store;
using Triggers.Runtimes;

namespace Triggers.Jobs.Execution;

/// <summary>
/// The silo's worker slots: a feeder claims the oldest queued jobs, each slot runs one at a time in a language
/// runtime and hands the outcome to <see cref="JobCompletions"/>. Listening to a trigger's source never takes a slot.
/// </summary>
public sealed class JobWorkerService(
    IJobStore store,
    IJobTriggers triggers,
    JobQueueSignal signal,
    JobCompletions completions,
    ScriptRunner runner,
    FlowRunner flows,
    IGrainFactory grains,
    IOptions<WorkerOptions> options,
    ILocalSiloDetails silo,
    ILogger<JobWorkerService> logger,
    TimeProvider clock) : BackgroundService
{
    private const int ReadyPerSlot = 4;

    private readonly WorkerOptions _options = options.Value;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_options.Count <= 0)
        {
            logger.LogInformation("Workers:Count is 0: this silo listens but runs no jobs");
            return;
        }
        var workerId = WorkerIds.Of(silo.SiloAddress, _options);
        var requeued = await store.RequeueClaimedByAsync(workerId, stoppingToken);
        if (requeued > 0) logger.LogInformation("Requeued {Count} jobs this worker was running when it last stopped", requeued);

        // A few jobs wait ready per slot, so a slot that finishes starts the next job at once while the feeder claims
        // more in the background; when the slots drain the buffer faster than a round trip, claims grow into batches.
        var ready = Channel.CreateBounded<JobRecord>(new BoundedChannelOptions(_options.Count * ReadyPerSlot) { SingleWriter = true });
        var slots = Enumerable.Range(0, _options.Count).Select(_ => RunSlotAsync(ready.Reader, workerId, stoppingToken)).ToList();
        await FeedAsync(ready, workerId, stoppingToken);
        await Task.WhenAll(slots);
    }

    private async Task FeedAsync(Channel<JobRecord> ready, string workerId, CancellationToken ct)
    {
        var lease = Runnables.Lease(TimeSpan.FromSeconds(_options.JobTimeoutSeconds));
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await ready.Writer.WaitToWriteAsync(ct);
                var jobs = await store.ClaimAsync(workerId, lease, Math.Max(1, _options.Count * ReadyPerSlot - ready.Reader.Count), ct);
                if (jobs.Count == 0)
                {
                    await signal.WaitAsync(TimeSpan.FromMilliseconds(_options.IdlePollMilliseconds), ct);
                    continue;
                }
                foreach (var job in jobs) await ready.Writer.WriteAsync(job, ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
            catch (Exception e)
            {
                logger.LogError(e, "Claiming jobs failed; retrying");
                await Task.Delay(TimeSpan.FromSeconds(1), ct).ContinueWith(_ => { });
            }
        }
        ready.Writer.TryComplete();
        await PutBackUnstartedAsync(ready.Reader, workerId);
    }

    /// <summary>Jobs claimed but not started when the silo stops go back to the queue for whoever runs next.</summary>
    private async Task PutBackUnstartedAsync(ChannelReader<JobRecord> ready, string workerId)
    {
        var unstarted = new List<Guid>();
        while (ready.TryRead(out var job)) unstarted.Add(job.Id);
        if (unstarted.Count == 0) return;
        try { await store.UnclaimAsync(unstarted, workerId); }
        catch (Exception e) { logger.LogWarning("Could not put back {Count} unstarted jobs ({Error}); their claims expire on their own", unstarted.Count, e.Message); }
    }

    private async Task RunSlotAsync(ChannelReader<JobRecord> ready, string workerId, CancellationToken ct)
    {
        var timeout = TimeSpan.FromSeconds(_options.JobTimeoutSeconds);
        // A job's completion is written while the slot runs the next job (a two-stage pipeline, as in a listener):
        // the slot waits for the store only when it would otherwise have two completions in flight.
        var completing = Task.CompletedTask;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                var job = await ready.ReadAsync(ct);
                var outcome = await RunAsync(job, workerId, timeout, ct);
                await completing;
                completing = CompleteAsync(job, outcome, ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
            catch (Exception e)
            {
                logger.LogError(e, "Worker slot failed; it carries on");
                await Task.Delay(TimeSpan.FromSeconds(1), ct).ContinueWith(_ => { });
            }
        }
        await completing;
    }

    private async Task CompleteAsync(JobRecord job, JobOutcome outcome, CancellationToken ct)
    {
        try { await completions.CompleteAsync(job, outcome, ct); }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            // The job stays claimed; its lease runs out and it runs again (at least once, never lost).
            logger.LogError(e, "Recording the outcome of job {Job} failed", job.Id);
        }
        catch (OperationCanceledException) { }
    }

    private async Task<JobOutcome> RunAsync(JobRecord job, string workerId, TimeSpan timeout, CancellationToken ct)
    {
        if (job.IsFlow) return await flows.RunAsync(job, workerId, timeout, ct);
        var started = clock.GetUtcNow();
        var script = await Runnables.ScriptAsync(grains, job.WorkspaceId, job.ScriptPath, ct);
        if (script?.Signature is null)
            return JobOutcomes.Failed(Runnables.ScriptNotFound($"No script at '{job.ScriptPath}' in workspace '{job.WorkspaceId}': it was deleted after the job was queued."), started, clock.GetUtcNow());

        var triggerEvent = JobArguments.Event(job);
        var run = new ScriptRun(script.Language, script.Content, script.Signature, JobArguments.Default(job, triggerEvent, triggers), triggerEvent, timeout,
            Runnables.DedicatedKey(job.WorkspaceId, script));
        return JobOutcomes.FromRun(await runner.RunAsync(run, ct), started, clock.GetUtcNow());
    }
}
