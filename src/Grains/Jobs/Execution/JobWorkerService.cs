using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;
using Triggers.Extensions;
using Triggers.Jobs.Store;
using Triggers.Runtimes;
using Triggers.Runtimes.Sandbox;

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
    JobSandbox sandbox,
    FlowRunner flows,
    DependencyJobs dependencyJobs,
    JobVariables variables,
    IGrainFactory grains,
    IOptions<WorkerOptions> options,
    ILocalSiloDetails silo,
    ILogger<JobWorkerService> logger,
    TimeProvider clock) : BackgroundService
{
    private const int MaxCompletionsInFlight = 32;

    // What a job runs is read from grains whose state lives in the database: while it is away (an outage, a restart),
    // the read is tried again, for about a minute, instead of failing the job at once. Nothing has run yet.
    private static readonly ResiliencePipeline Preparing = new ResiliencePipelineBuilder()
        .AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<System.Data.Common.DbException>().Handle<TimeoutException>().Handle<OrleansException>(),
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = TimeSpan.FromSeconds(1),
            MaxDelay = TimeSpan.FromSeconds(15),
            MaxRetryAttempts = 8,
        })
        .Build();

    private readonly WorkerOptions _options = options.Value;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_options.Count <= 0)
        {
            logger.LogInformation("Workers:Count is 0: this silo listens but runs no jobs");
            return;
        }
        // Its jobs stay queued for silos that can run them; the startup banner and /health say why.
        if (sandbox.Unavailable is not null) return;
        var workerId = WorkerIds.Of(silo.SiloAddress, _options);
        var requeued = await store.RequeueClaimedByAsync(workerId, stoppingToken);
        if (requeued > 0) logger.LogInformation("Requeued {Count} jobs this worker was running when it last stopped", requeued);

        // Claimed jobs wait ready, so a slot that finishes starts the next job at once while the feeder claims more.
        var ready = new ReadyJobs(_options.Count);
        var slots = Enumerable.Range(0, _options.Count).Select(_ => RunSlotAsync(ready, workerId, stoppingToken)).ToList();
        await FeedAsync(ready, workerId, stoppingToken);
        await Task.WhenAll(slots);
    }

    private async Task FeedAsync(ReadyJobs ready, string workerId, CancellationToken ct)
    {
        var lease = Runnables.Lease(TimeSpan.FromSeconds(_options.JobTimeoutSeconds));
        // Claims are numbered in the order the slots take them (the buffer is first in, first out).
        var nextOrdinal = 1L;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                var jobs = await store.ClaimAsync(workerId, lease, await ready.WantAsync(ct), nextOrdinal, ct);
                nextOrdinal += jobs.Count;
                if (jobs.Count == 0)
                {
                    await signal.WaitAsync(TimeSpan.FromMilliseconds(_options.IdlePollMilliseconds), ct);
                    continue;
                }
                foreach (var job in jobs) await ready.AddAsync(job, ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
            catch (Exception e)
            {
                logger.LogError(e, "Claiming jobs failed; retrying");
                await Task.Delay(TimeSpan.FromSeconds(1), ct).ContinueWith(_ => { });
            }
        }
        await PutBackUnstartedAsync(ready.Close().Select(job => job.Id).ToList(), workerId);
    }

    /// <summary>Jobs claimed but not started when the silo stops go back to the queue for whoever runs next.</summary>
    private async Task PutBackUnstartedAsync(List<Guid> unstarted, string workerId)
    {
        if (unstarted.Count == 0) return;
        try { await store.UnclaimAsync(unstarted, workerId); }
        catch (Exception e) { logger.LogWarning("Could not put back {Count} unstarted jobs ({Error}); their claims expire on their own", unstarted.Count, e.Message); }
    }

    private async Task RunSlotAsync(ReadyJobs ready, string workerId, CancellationToken ct)
    {
        var timeout = TimeSpan.FromSeconds(_options.JobTimeoutSeconds);
        // Completions are written while the slot runs the next jobs, so that fast jobs (dedicated workers) never wait
        // for a round trip: the store merges them into group commits. The slot waits only when too many are in flight.
        var completing = new Queue<Task>();
        while (!ct.IsCancellationRequested)
        {
            try
            {
                var job = await ready.TakeAsync(ct);
                MarkStarted(workerId, job);
                var outcome = await RunAsync(job, workerId, timeout, ct);
                while (completing.TryPeek(out var oldest) && (oldest.IsCompleted || completing.Count >= MaxCompletionsInFlight))
                    await completing.Dequeue();
                completing.Enqueue(CompleteAsync(job, outcome));
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
            catch (Exception e)
            {
                logger.LogError(e, "Worker slot failed; it carries on");
                await Task.Delay(TimeSpan.FromSeconds(1), ct).ContinueWith(_ => { });
            }
        }
        await Task.WhenAll(completing);
    }

    /// <summary>
    /// Records, without waiting, that the slots have taken the worker's claims up to this one: if the worker dies, these
    /// count as lost runs and the claims still in its buffer do not. A job that ends its worker before the mark is
    /// written is bounded by <see cref="WorkerOptions.MaxLostClaims"/> instead.
    /// </summary>
    private void MarkStarted(string workerId, JobRecord job) =>
        _ = store.MarkStartedAsync(workerId, job.ClaimOrdinal).ContinueWith(
            mark => logger.LogDebug("Recording that job {Job} started failed ({Error})", job.Id, mark.Exception?.GetBaseException().Message),
            CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);

    /// <summary>
    /// Records a finished run, even while the silo stops: the run happened. A store that is down (PostgreSQL
    /// restarting, a network cut) is retried until the run's claim would expire, so that an outage shorter than the
    /// lease costs no rerun; past it the job runs again as a lost run, which is at least once and never lost.
    /// </summary>
    private async Task CompleteAsync(JobRecord job, JobOutcome outcome)
    {
        var giveUpAt = clock.GetUtcNow() + Runnables.Lease(TimeSpan.FromSeconds(_options.JobTimeoutSeconds)) - (outcome.CompletedAt - outcome.StartedAt);
        var wait = TimeSpan.FromSeconds(1);
        while (true)
        {
            try
            {
                await completions.CompleteAsync(job, outcome, CancellationToken.None);
                return;
            }
            catch (Exception e) when (clock.GetUtcNow() + wait < giveUpAt)
            {
                logger.LogWarning("Recording the outcome of job {Job} failed ({Error}); retrying in {Wait} s", job.Id, e.Message, wait.TotalSeconds);
                await Task.Delay(wait);
                wait = TimeSpan.FromTicks(Math.Min(wait.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
            }
            catch (Exception e)
            {
                // The job stays claimed; its lease runs out and it runs again as a lost run (at least once, never lost
                // for good, and failed once lost Workers:MaxLostRuns times).
                logger.LogError(e, "Recording the outcome of job {Job} failed; it runs again once its claim expires", job.Id);
                return;
            }
        }
    }

    /// <summary>Runs the job; whatever goes wrong in the worker itself becomes the job's failure at once, rather than
    /// leaving it running until its lease ends.</summary>
    private async Task<JobOutcome> RunAsync(JobRecord job, string workerId, TimeSpan timeout, CancellationToken ct)
    {
        var started = clock.GetUtcNow();
        try
        {
            return await RunClaimedAsync(job, workerId, timeout, ct);
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            logger.LogError(e, "The worker failed while running job {Job}", job.Id);
            return JobOutcomes.Failed(new JobError("WorkerError",
                $"The worker failed while running the job ({e.GetType().Name}: {e.Message}); the job was not completed by its script."),
                started, clock.GetUtcNow());
        }
    }

    private async Task<JobOutcome> RunClaimedAsync(JobRecord job, string workerId, TimeSpan timeout, CancellationToken ct)
    {
        // Steps an earlier run of this flow left behind were lost with their worker; this run starts afresh.
        if (job.IsFlow && (job.Attempts > 1 || job.LostRuns > 0))
            await store.FailUnfinishedStepsAsync(job.Id, JobOutcomes.StepLost(), ct);
        if (job.LostRuns >= _options.MaxLostRuns)
            return JobOutcomes.Lost(job.LostRuns, clock.GetUtcNow());
        if (job.LostClaims >= _options.MaxLostClaims)
            return JobOutcomes.ClaimsLost(job.LostClaims, clock.GetUtcNow());
        if (job.IsFlow) return await flows.RunAsync(job, workerId, timeout, ct);
        if (job.IsDependencies) return await dependencyJobs.RunAsync(job, timeout, ct);
        var started = clock.GetUtcNow();
        var script = await Preparing.ExecuteAsync(async token => await Runnables.ScriptAsync(grains, job.WorkspaceId, job.ScriptPath, token), ct);
        if (script?.Signature is null)
            return JobOutcomes.Failed(Runnables.ScriptNotFound($"No script at '{job.ScriptPath}' in workspace '{job.WorkspaceId}': it was deleted after the job was queued."), started, clock.GetUtcNow());

        var triggerEvent = JobArguments.Event(job);
        var (run, error) = await Preparing.ExecuteAsync(async token => await Runnables.PrepareAsync(grains, job.WorkspaceId, script,
            JobArguments.Default(job, triggerEvent, triggers), triggerEvent, timeout, variables.Of(job, timeout), token), ct);
        if (run is not null && job.IsPreprocess) run = run with { PreprocessOnly = true };
        var outcome = run is null
            ? JobOutcomes.Failed(error!, started, clock.GetUtcNow())
            : JobOutcomes.FromRun(await runner.RunAsync(run, ct), started, clock.GetUtcNow());
        return outcome with { ScriptHash = script.Hash.Length > 0 ? script.Hash : null };
    }
}
