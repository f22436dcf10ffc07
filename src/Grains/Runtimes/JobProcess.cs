using System.Diagnostics;
using Triggers.Runtimes.Sandbox;

namespace Triggers.Runtimes;

/// <summary>How a job's process ended.</summary>
/// <param name="TimedOut">It ran past its time limit and was killed.</param>
internal sealed record JobProcessExit(int ExitCode, bool TimedOut, string Logs, string StandardErrorTail, string StandardOutputTail);

/// <summary>
/// Runs one job process in the <see cref="JobSandbox"/>: stdout and stderr captured as logs, a time limit, and nothing
/// left running afterwards.
/// </summary>
internal static class JobProcess
{
    /// <summary>The only PATH a job sees.</summary>
    public const string SearchPath = "/usr/local/bin:/usr/bin:/bin";

    // Once the job's process is gone (and its group killed), how long to wait for the output pipes to close, in
    // case something that escaped the group still holds them.
    private static readonly TimeSpan OutputDrainLimit = TimeSpan.FromSeconds(2);

    public static async Task<JobProcessExit> RunAsync(JobSandbox sandbox, JobCommand command, TimeSpan timeout, CancellationToken ct)
    {
        if (timeout <= TimeSpan.Zero && timeout != Timeout.InfiniteTimeSpan)
            throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "A job's time limit must be positive (or infinite).");
        ct.ThrowIfCancellationRequested();

        using var process = sandbox.Start(command, out var cgroup);
        using var _ = cgroup;
        // A script that reads stdin gets end-of-file rather than waiting on the host's input.
        process.StandardInput.Close();

        var output = new JobOutput();
        var pumps = Task.WhenAll(
            output.PumpAsync(process.StandardOutput, isStderr: false),
            output.PumpAsync(process.StandardError, isStderr: true));

        var stopped = await WaitForExitOrStopAsync(sandbox, process, timeout, ct);
        // Background processes the job left behind would otherwise outlive it (and hold the pipes open).
        sandbox.Sweep(process);
        try
        {
            await pumps.WaitAsync(OutputDrainLimit, CancellationToken.None);
        }
        catch (TimeoutException)
        {
            output.MarkAbandoned();
        }

        if (stopped && ct.IsCancellationRequested) throw new OperationCanceledException(ct);
        if (cgroup?.OutOfMemoryKills > 0) output.Append(sandbox.OverMemory, isStderr: true);
        return new JobProcessExit(process.ExitCode, stopped, output.Logs, output.StderrTail, output.StdoutTail);
    }

    /// <returns>Whether the job had to be killed (time limit or cancellation).</returns>
    private static async Task<bool> WaitForExitOrStopAsync(JobSandbox sandbox, Process process, TimeSpan timeout, CancellationToken ct)
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
            sandbox.KillEverything(process);
            await process.WaitForExitAsync(CancellationToken.None);
            return true;
        }
    }
}
