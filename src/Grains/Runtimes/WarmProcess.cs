using System.Diagnostics;
using System.Text;
using Triggers.Runtimes.Sandbox;

namespace Triggers.Runtimes;

/// <summary>How a job in a dedicated worker ended, before its answer is read.</summary>
/// <param name="Answer">The wrapper's outcome JSON; null when the process had to be stopped or died.</param>
internal sealed record WarmRun(string? Answer, string Logs, bool TimedOut, bool OverMemory, int? ExitCode);

/// <summary>
/// A dedicated worker's process: the wrapper in serve mode, which loaded the script once and runs one job at a time
/// from stdin. Everything the process prints while a job runs is that job's log, and the answer line (the marker,
/// then the outcome) ends it; what it prints between jobs belongs to no job and is dropped.
/// </summary>
internal sealed class WarmProcess : SandboxedProcess
{
    private static readonly TimeSpan CheckEvery = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan OutputDrainLimit = TimeSpan.FromSeconds(1);

    private readonly string _marker;
    private readonly Task _exited;
    private readonly Task _pumps;
    private readonly Lock _gate = new();
    private StringBuilder? _log;
    private TaskCompletionSource<string>? _answer;

    private WarmProcess(JobSandbox sandbox, Process process, JobDirectory directory, JobCgroup? cgroup, string marker)
        : base(sandbox, process, directory, cgroup)
    {
        _marker = marker;
        _exited = process.WaitForExitAsync();
        _pumps = Task.WhenAll(PumpAsync(process.StandardOutput), PumpAsync(process.StandardError));
    }

    /// <param name="command">The wrapper in serve mode, which answers each job with a line starting with
    /// <paramref name="marker"/>; the process owns the command's directory.</param>
    public static WarmProcess Start(JobSandbox sandbox, JobCommand command, string marker)
    {
        var process = sandbox.Start(command with { LongLived = true }, out var cgroup);
        return new WarmProcess(sandbox, process, command.Directory, cgroup, marker);
    }

    /// <summary>Runs one job: <paramref name="input"/> is input.json's content.</summary>
    public async Task<WarmRun> RunAsync(string input, TimeSpan timeout, long maxMemoryBytes, CancellationToken ct)
    {
        var log = new StringBuilder();
        var answer = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate) (_log, _answer) = (log, answer);
        try
        {
            await Process.StandardInput.WriteLineAsync(input.AsMemory(), ct);
            await Process.StandardInput.FlushAsync(ct);
            var clock = Stopwatch.StartNew();
            while (true)
            {
                // Checked every tick for the time and memory limits; a fast job's answer ends the wait (and its timer) at once.
                try { await Task.WhenAny(answer.Task, _exited).WaitAsync(CheckEvery, ct); }
                catch (TimeoutException) { }
                if (answer.Task.IsCompleted) return new WarmRun(answer.Task.Result, Logs(log), false, false, null);
                if (_exited.IsCompleted)
                {
                    // What it printed last (often why it died) may still be in the pipes.
                    await _pumps.WaitAsync(OutputDrainLimit, CancellationToken.None).ContinueWith(_ => { }, CancellationToken.None);
                    if (Cgroup?.OutOfMemoryKills > 0) lock (_gate) log.Append(Sandbox.OverMemory);
                    return new WarmRun(null, Logs(log), false, false, Process.ExitCode);
                }
                if (clock.Elapsed > timeout)
                {
                    Stop();
                    return new WarmRun(null, Logs(log), TimedOut: true, false, null);
                }
                if (ResidentBytes() > maxMemoryBytes)
                {
                    Stop();
                    return new WarmRun(null, Logs(log), false, OverMemory: true, null);
                }
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException)
        {
            // A process that died between jobs (a broken pipe), or a job cancelled with the silo: either way it is done.
            Stop();
            if (e is OperationCanceledException) throw;
            return new WarmRun(null, Logs(log), false, false, _exited.IsCompleted ? Process.ExitCode : null);
        }
        finally
        {
            lock (_gate) (_log, _answer) = (null, null);
        }
    }

    private string Logs(StringBuilder log)
    {
        lock (_gate) return log.ToString();
    }

    private async Task PumpAsync(StreamReader reader)
    {
        try
        {
            while (await reader.ReadLineAsync() is { } line)
                lock (_gate)
                {
                    if (line.StartsWith(_marker, StringComparison.Ordinal)) _answer?.TrySetResult(line[_marker.Length..]);
                    else if (_log is { } log) JobOutput.AppendLine(log, line);
                }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException) { }
    }

    // The interpreter's and whatever it started: in the sandbox it is a grandchild of the process the silo started.
    private long ResidentBytes() => ProcessTree.ResidentBytes(Process.Id);
}
