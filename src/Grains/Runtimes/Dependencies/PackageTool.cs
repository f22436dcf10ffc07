namespace Triggers.Runtimes.Dependencies;

/// <summary>
/// Runs a package manager (bun install, pip) like a job: a cleared environment and a throw-away home, so neither the
/// silo's credentials nor a user's configuration reach it, with its downloads kept in the cache's own folder.
/// </summary>
internal sealed class PackageTool(string executable, string downloadCache, TimeSpan timeout, Func<string, string> redact)
{
    public string DownloadCache => downloadCache;

    /// <summary>Runs the tool; the exit code and what it printed (registry credentials masked).</summary>
    public async Task<(int ExitCode, string Logs)> RunAsync(IReadOnlyList<string> arguments, CancellationToken ct, IReadOnlyDictionary<string, string>? environment = null)
    {
        using var home = JobDirectory.Create();
        var exit = await JobProcess.RunAsync(executable, arguments, home, timeout, ct, environment);
        var logs = redact(exit.Logs);
        return exit.TimedOut ? (-1, $"{logs}\nStopped after {timeout.TotalSeconds:0} s.") : (exit.ExitCode, logs);
    }
}
