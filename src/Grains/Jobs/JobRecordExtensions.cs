using System.Text.Json;

namespace Triggers.Jobs;

internal static class JobRecordExtensions
{
    /// <summary>The record after its last run finished with <paramref name="outcome"/>.</summary>
    public static JobRecord Completed(this JobRecord job, JobOutcome outcome) => job.WithRun(outcome) with
    {
        Status = outcome.Succeeded ? JobStatus.Success : JobStatus.Failure,
        ResultJson = outcome.Result is { } result ? JsonSerializer.Serialize(result) : null,
        Logs = outcome.Logs,
        Error = outcome.Error,
        StartedAt = outcome.StartedAt,
        CompletedAt = outcome.CompletedAt,
        ScheduledFor = null,
    };

    /// <summary>The record after a failed run, queued again to run at <paramref name="due"/>.</summary>
    public static JobRecord Requeued(this JobRecord job, JobOutcome outcome, DateTimeOffset due) => job.WithRun(outcome) with
    {
        Status = JobStatus.Queued,
        Logs = outcome.Logs,
        Error = outcome.Error,
        ScheduledFor = due,
    };

    /// <summary>The attempt a run's outcome adds to the history.</summary>
    public static JobAttempt Attempt(this JobRecord job, JobOutcome outcome) =>
        new(job.Attempts, outcome.StartedAt, outcome.CompletedAt, outcome.Succeeded, outcome.Error);

    private static JobRecord WithRun(this JobRecord job, JobOutcome outcome) => job with
    {
        ArgsJson = outcome.MainArgs is { } args ? JsonSerializer.Serialize(args) : job.ArgsJson,
        AttemptHistory = [.. job.AttemptHistory, job.Attempt(outcome)],
        ScriptHash = outcome.ScriptHash ?? job.ScriptHash,
    };
}
