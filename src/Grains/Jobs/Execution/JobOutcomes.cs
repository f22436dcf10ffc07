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

    /// <summary>The final failure of a job its workers lost too often: it is not run again, whatever its retry policy.</summary>
    public static JobOutcome Lost(int times, DateTimeOffset now) => Failed(new JobError("JobLost",
        $"The job was lost by its worker {times} times (the worker died, was stopped or could not record the outcome while " +
        "running it), so it is not run again. Check its logs and the silo's for what ended those runs; Workers:MaxLostRuns " +
        "sets the limit."), now, now) with { NeverRerun = true };

    /// <summary>The final failure of a job whose claims were lost with their workers too often, started or not.</summary>
    public static JobOutcome ClaimsLost(int times, DateTimeOffset now) => Failed(new JobError("JobLost",
        $"The job's worker was lost {times} times while it held the job, so it is not run again. Check the silo's logs " +
        "for what ended those workers; Workers:MaxLostClaims sets the limit."), now, now) with { NeverRerun = true };

    /// <summary>Why a step left running by a lost run of its flow ended.</summary>
    public static JobError StepLost() =>
        new("JobLost", "The worker running this step's flow was lost; the flow's next run starts its steps again.");
}
