using System.Globalization;
using Triggers.Jobs;
using Triggers.Scripts;

namespace Triggers.Runtimes;

/// <summary>The errors a job gets for failing as a process rather than by throwing.</summary>
internal static class JobFailures
{
    private const int StderrLinesShown = 10;

    public static JobError Timeout(TimeSpan limit) =>
        new("Timeout", $"The job ran longer than its time limit of {Describe(limit)} and was killed.");

    public static JobError ExitCode(JobProcessExit exit)
    {
        var lastLines = exit.StandardErrorTail
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .TakeLast(StderrLinesShown)
            .ToList();
        if (lastLines.LastOrDefault(line => line.StartsWith("bwrap: ", StringComparison.Ordinal)) is { } sandboxError)
            return new("SandboxFailed", $"The job sandbox could not start the job ({sandboxError}). The jobs' user (Workers:SandboxUid) "
                + "must be able to reach the interpreter (Runtimes:Bun, Runtimes:Python, Runtimes:Bash) and the dependency cache "
                + "(Runtimes:CacheDirectory) through folders it may enter; or set Workers:Sandbox=none.");
        var killedBy = exit.ExitCode is > 128 and < 160 ? $" (killed by signal {exit.ExitCode - 128})" : "";
        return new("ExitCode", lastLines.Count == 0
            ? $"The job's process exited with code {exit.ExitCode}{killedBy} and wrote nothing to stderr."
            : $"The job's process exited with code {exit.ExitCode}{killedBy}. Last lines of stderr:\n{string.Join('\n', lastLines)}");
    }

    public static JobError DedicatedWorkerExited(int? exitCode, string logs)
    {
        var lastLines = logs.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).TakeLast(StderrLinesShown).ToList();
        var how = exitCode is { } code ? $"exited with code {code}" : "stopped answering";
        return new("DedicatedWorkerExited", lastLines.Count == 0
            ? $"The dedicated worker's process {how} while it ran this job; the next job starts a new one."
            : $"The dedicated worker's process {how} while it ran this job; the next job starts a new one. Last lines it printed:\n{string.Join('\n', lastLines)}");
    }

    public static JobError DependencyInstall(string logs) =>
        new("DependencyInstallFailed", $"Installing the script's locked dependencies failed. Last lines:\n{LastLines(logs)}");

    /// <summary>The end of a tool's output, where its error usually is.</summary>
    public static string LastLines(string logs) =>
        string.Join('\n', logs.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).TakeLast(StderrLinesShown));

    public static JobError DedicatedWorkerOverMemory(int limitMb) =>
        new("DedicatedWorkerOverMemory",
            $"The dedicated worker's process used more than {limitMb} MiB (Runtimes:DedicatedMaxMemoryMb) while it ran this job and was " +
            "replaced; the next job starts a new one.");

    public static JobError MissingResult() =>
        new("MissingResult", "The job's process exited with code 0 before main returned; did the script end the process itself?");

    public static JobError InvalidResult(string problem) => new("InvalidResult", problem);

    public static JobError RuntimeNotFound(ScriptLanguage language, string command, string configurationKey) =>
        new("RuntimeNotFound",
            $"The {language.ToString().ToLowerInvariant()} runtime `{command}` was not found on this worker; install it " +
            $"or set the configuration key {configurationKey} to its path.");

    private static string Describe(TimeSpan limit) =>
        limit < TimeSpan.FromMinutes(1)
            ? limit.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) + " s"
            : limit.ToString("c", CultureInfo.InvariantCulture);
}
