using System.Runtime.InteropServices;

namespace Triggers.Runtimes.Sandbox;

/// <summary>
/// Puts a job in a process group of its own (by starting it through <c>setsid</c>, which execs in place, so the
/// job keeps the pid we started) so that everything it spawned can be killed, including background processes
/// that outlived their parent and so are no longer part of the job's process tree.
/// </summary>
internal static class ProcessGroup
{
    private const int SigKill = 9;

    /// <summary><c>setsid</c>'s path, or null where it is missing (then only the live tree can be killed).</summary>
    public static string? Launcher { get; } = ExecutableLocator.Find("setsid");

    /// <summary>Kills every process in the group led by <paramref name="leaderPid"/>; a no-op when it is empty.</summary>
    public static void Kill(int leaderPid)
    {
        if (Launcher is not null) _ = SendSignal(-leaderPid, SigKill);
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SendSignal(int pid, int signal);
}
