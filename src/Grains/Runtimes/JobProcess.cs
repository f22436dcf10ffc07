using System.ComponentModel;
using System.Diagnostics;
using System.Text;

namespace Triggers.Runtimes;

/// <summary>How a job's process ended.</summary>
/// <param name="TimedOut">It ran past its time limit and was killed.</param>
internal sealed record JobProcessExit(int ExitCode, bool TimedOut, string Logs, string StandardErrorTail, string StandardOutputTail);

/// <summary>
/// Runs one job process: a cleared environment, the job's private directory as working directory, HOME and
/// TMPDIR, stdout and stderr captured as logs, a time limit, and nothing left running afterwards.
/// </summary>
internal static class JobProcess
{
    /// <summary>The only PATH a job sees.</summary>
    public const string SearchPath = "/usr/local/bin:/usr/bin:/bin";

    // Once the job's process is gone (and its group killed), how long to wait for the output pipes to close, in
    // case something that escaped the group still holds them.
    private static readonly TimeSpan OutputDrainLimit = TimeSpan.FromSeconds(2);

    /// <param name="environment">Variables the process gets besides PATH, HOME, TMPDIR and LANG.</param>
    public static async Task<JobProcessExit> RunAsync(
        string executable, IReadOnlyList<string> arguments, JobDirectory directory, TimeSpan timeout, CancellationToken ct,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        if (timeout <= TimeSpan.Zero && timeout != Timeout.InfiniteTimeSpan)
            throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "A job's time limit must be positive (or infinite).");
        ct.ThrowIfCancellationRequested();

        using var process = new Process { StartInfo = StartInfo(executable, arguments, directory) };
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) process.StartInfo.Environment[name] = value;
        process.Start();
        // A script that reads stdin gets end-of-file rather than waiting on the host's input.
        process.StandardInput.Close();

        var output = new JobOutput();
        var pumps = Task.WhenAll(
            output.PumpAsync(process.StandardOutput, isStderr: false),
            output.PumpAsync(process.StandardError, isStderr: true));

        var stopped = await WaitForExitOrStopAsync(process, timeout, ct);
        // Background processes the job left behind would otherwise outlive it (and hold the pipes open).
        ProcessGroup.Kill(process.Id);
        try
        {
            await pumps.WaitAsync(OutputDrainLimit, CancellationToken.None);
        }
        catch (TimeoutException)
        {
            output.MarkAbandoned();
        }

        if (stopped && ct.IsCancellationRequested) throw new OperationCanceledException(ct);
        return new JobProcessExit(process.ExitCode, stopped, output.Logs, output.StderrTail, output.StdoutTail);
    }

    /// <returns>Whether the job had to be killed (time limit or cancellation).</returns>
    private static async Task<bool> WaitForExitOrStopAsync(Process process, TimeSpan timeout, CancellationToken ct)
    {
        using var timeLimit = new CancellationTokenSource(timeout);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct, timeLimit.Token);
        try
        {
            await process.WaitForExitAsync(stop.Token);
            return false;
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            KillEverything(process);
            await process.WaitForExitAsync(CancellationToken.None);
            return true;
        }
    }

    /// <summary>Kills the process, what it started, and its process group (what escaped the tree).</summary>
    internal static void KillEverything(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (Exception e) when (e is InvalidOperationException or Win32Exception or AggregateException)
        {
            // Already exited, or part of the tree vanished while it was being walked; the group kill below and the
            // caller's sweep cover what is left.
        }
        ProcessGroup.Kill(process.Id);
    }

    /// <summary>A job process's start: through setsid, a cleared environment, the job's directory as home and working directory.</summary>
    internal static ProcessStartInfo StartInfo(string executable, IReadOnlyList<string> arguments, JobDirectory directory)
    {
        var startInfo = new ProcessStartInfo
        {
            FileName = ProcessGroup.Launcher ?? executable,
            WorkingDirectory = directory.Path,
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        if (ProcessGroup.Launcher is not null) startInfo.ArgumentList.Add(executable);
        foreach (var argument in arguments) startInfo.ArgumentList.Add(argument);

        // Nothing of the host's environment (credentials, connection strings) reaches a job.
        startInfo.Environment.Clear();
        startInfo.Environment["PATH"] = SearchPath;
        startInfo.Environment["HOME"] = directory.Path;
        startInfo.Environment["TMPDIR"] = directory.Path;
        startInfo.Environment["LANG"] = "C.UTF-8";
        return startInfo;
    }
}
