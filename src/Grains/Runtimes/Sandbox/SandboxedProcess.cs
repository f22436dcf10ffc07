using System.Diagnostics;

namespace Triggers.Runtimes.Sandbox;

/// <summary>
/// A long-lived process in the job sandbox that owns a directory: a dedicated worker's warm process or a worker slot's
/// job launcher. Stopping it kills its sandbox; disposing it also removes the directory and the control group.
/// </summary>
internal abstract class SandboxedProcess(JobSandbox sandbox, Process process, JobDirectory directory, JobCgroup? cgroup) : IDisposable
{
    private bool _stopped;

    private protected JobSandbox Sandbox { get; } = sandbox;

    private protected Process Process { get; } = process;

    private protected JobDirectory Directory { get; } = directory;

    /// <summary>The sandbox's control group, where the host has them.</summary>
    private protected JobCgroup? Cgroup { get; } = cgroup;

    /// <summary>Whether it can take another job.</summary>
    public bool IsAlive => !_stopped && !Process.HasExited;

    private protected void Stop()
    {
        _stopped = true;
        Sandbox.KillEverything(Process);
    }

    public void Dispose()
    {
        Stop();
        Process.Dispose();
        Directory.Dispose();
        Cgroup?.Dispose();
    }
}
