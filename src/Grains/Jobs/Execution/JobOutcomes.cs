using System.Text.Json;
using Triggers.Runtimes;

namespace Triggers.Jobs.Execution;

internal static class JobOutcomes
{
    public static JobOutcome FromRun(ScriptOutcome run, DateTimeOffset started, DateTimeOffset completed) => new()
    {
        Succeeded = run.Succeeded,
        Result = run.Result is null ? null : JsonSerializer.SerializeToElement(run.Result),
        MainArgs = JsonSerializer.SerializeToElement(run.MainArgs),
        Logs = run.Logs,
        Error = run.Error,
        StartedAt = started,
        CompletedAt = completed,
    };

    public static JobOutcome Failed(JobError error, DateTimeOffset started, DateTimeOffset completed, string logs = "") =>
        new() { Succeeded = false, Error = error, Logs = logs, StartedAt = started, CompletedAt = completed };
}
