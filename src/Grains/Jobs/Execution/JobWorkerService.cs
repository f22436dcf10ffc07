using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Triggers.Extensions;
using Triggers.Jobs.Store;
using Triggers.Runtimes;

namespace Triggers.Jobs.Execution;

/// <summary>
/// The silo's worker slots: each claims the oldest queued job, runs it in a language runtime and reports the
/// outcome to the job's grain. Listening to a trigger's source never takes a slot.
/// </summary>
public sealed class JobWorkerService(
    IJobStore store,
    IJobTriggers triggers,
    JobQueueSignal signal,
    ScriptRunner runner,
    FlowRunner flows,
    IGrainFactory grains,
    IOptions<WorkerOptions> options,
    ILocalSiloDetails silo,
    ILogger<JobWorkerService> logger,
    TimeProvider clock) : BackgroundService
{
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
        await Task.WhenAll(Enumerable.Range(0, _options.Count).Select(_ => RunSlotAsync(workerId, stoppingToken)));
    }

    private async Task RunSlotAsync(string workerId, CancellationToken ct)
    {
        var timeout = TimeSpan.FromSeconds(_options.JobTimeoutSeconds);
        var lease = Runnables.Lease(timeout);
        while (!ct.IsCancellationRequested)
        {
            try
            {
                var job = await store.ClaimAsync(workerId, lease, ct);
                if (job is null)
                {
                    await signal.WaitAsync(TimeSpan.FromMilliseconds(_options.IdlePollMilliseconds), ct);
                    continue;
                }
                var outcome = await RunAsync(job, workerId, timeout, ct);
                await ClusterCalls.RetryAsync(() => grains.GetGrain<IJobGrain>(job.Id).CompleteAsync(outcome), ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
            catch (Exception e)
            {
                logger.LogError(e, "Worker slot failed; it carries on");
                await Task.Delay(TimeSpan.FromSeconds(1), ct).ContinueWith(_ => { });
            }
        }
    }

    private async Task<JobOutcome> RunAsync(JobRecord job, string workerId, TimeSpan timeout, CancellationToken ct)
    {
        if (job.IsFlow) return await flows.RunAsync(job, workerId, timeout, ct);
        var started = clock.GetUtcNow();
        var script = await Runnables.ScriptAsync(grains, job.WorkspaceId, job.ScriptPath, ct);
        if (script?.Signature is null)
            return JobOutcomes.Failed(Runnables.ScriptNotFound($"No script at '{job.ScriptPath}' in workspace '{job.WorkspaceId}': it was deleted after the job was queued."), started, clock.GetUtcNow());

        var triggerEvent = JobArguments.Event(job);
        var run = new ScriptRun(script.Language, script.Content, script.Signature, JobArguments.Default(job, triggerEvent, triggers), triggerEvent, timeout);
        return JobOutcomes.FromRun(await runner.RunAsync(run, ct), started, clock.GetUtcNow());
    }
}
