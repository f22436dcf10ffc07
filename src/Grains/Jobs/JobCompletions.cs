using Triggers.Extensions;
using Triggers.Jobs.Store;
using Triggers.Telemetry;
using Triggers.Validation;

namespace Triggers.Jobs;

/// <summary>
/// Where a worker hands a finished run. A run that needs no decision (it succeeded, or it is a step its flow
/// handles) goes straight to the store, whose group commit merges it with other slots' completions; a failure goes
/// to its job's grain, which decides on a rerun, the error handler and the trigger's failure action.
/// </summary>
public sealed class JobCompletions(IJobStore store, IGrainFactory grains, TriggerMetrics metrics)
{
    /// <summary>Whether the outcome is the job's final state without asking its trigger anything.</summary>
    /// <remarks>A dry run's failure is its answer: no retries, no error handler.</remarks>
    public static bool IsFinal(JobRecord job, JobOutcome outcome) => outcome.Succeeded || job.IsFlowStep || job.IsPreprocess;

    /// <summary>Hands over the outcome of the run <paramref name="job"/> was claimed for (<see cref="JobRecord.Claim"/>).</summary>
    public async Task CompleteAsync(JobRecord job, JobOutcome outcome, CancellationToken ct)
    {
        if (!IsFinal(job, outcome))
        {
            await ClusterCalls.RetryAsync(() => grains.GetGrain<IJobGrain>(job.Id).CompleteAsync(job.Claim, outcome), ct);
            return;
        }
        if (await store.CompleteAsync(job.Id, job.Claim, outcome, ct)) Record(job, outcome);
    }

    /// <summary>Counts the run in the metrics.</summary>
    public void Record(JobRecord job, JobOutcome outcome) =>
        metrics.JobFinished(job.TriggerPath is { } t ? Names.ItemKey(job.WorkspaceId, t) : null, job.IsFlow, outcome.Succeeded, outcome.CompletedAt - outcome.StartedAt);
}
