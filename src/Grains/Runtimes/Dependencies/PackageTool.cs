using Triggers.Runtimes.Sandbox;

namespace Triggers.Runtimes.Dependencies;

/// <summary>
/// Runs a package manager (bun install, pip) like a job, in the job sandbox: a cleared environment and a throw-away
/// home, so neither the silo's credentials nor a user's configuration reach it (nor the silo's files reach a package's
/// install script), writing only into its <paramref name="writablePaths"/>.
/// </summary>
/// <param name="writablePaths">The folder it installs into, and its download cache.</param>
internal sealed class PackageTool(JobSandbox sandbox, string executable, IReadOnlyList<string> writablePaths, TimeSpan timeout, Func<string, string> redact)
{
    /// <summary>Where the tool keeps what it downloaded, shared by the workspace's installs of the language.</summary>
    public required string DownloadCache { get; init; }

    /// <summary>Ports of this host's loopback it reaches from an isolated network: a registry or index served here.</summary>
    public IReadOnlyList<int> HostPorts { get; init; } = [];

    /// <summary>Runs the tool; the exit code and what it printed (registry credentials masked).</summary>
    public async Task<(int ExitCode, string Logs)> RunAsync(IReadOnlyList<string> arguments, CancellationToken ct, IReadOnlyDictionary<string, string>? environment = null)
    {
        using var home = JobDirectory.Create();
        var command = new JobCommand(executable, arguments, home) { Environment = environment, WritablePaths = writablePaths, HostPorts = HostPorts };
        var exit = await JobProcess.RunAsync(sandbox, command, timeout, ct);
        var logs = redact(exit.Logs);
        return exit.TimedOut ? (-1, $"{logs}\nStopped after {timeout.TotalSeconds:0} s.") : (exit.ExitCode, logs);
    }
}
