using System.Text.Json;

namespace Triggers.Jobs;

internal static class JobRecordExtensions
{
    /// <summary>The record after a run finished with <paramref name="outcome"/>.</summary>
    public static JobRecord Completed(this JobRecord job, JobOutcome outcome) => job with
    {
        Status = outcome.Succeeded ? JobStatus.Success : JobStatus.Failure,
        ResultJson = outcome.Result is { } result ? JsonSerializer.Serialize(result) : null,
        ArgsJson = outcome.MainArgs is { } args ? JsonSerializer.Serialize(args) : job.ArgsJson,
        Logs = outcome.Logs,
        Error = outcome.Error,
        StartedAt = outcome.StartedAt,
        CompletedAt = outcome.CompletedAt,
    };
}
