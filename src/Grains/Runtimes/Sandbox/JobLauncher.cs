using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Triggers.Runtimes.Sandbox;

/// <summary>
/// A bubblewrap sandbox that runs process-per-job jobs one after another: <c>triggers-job-launcher</c>
/// (<c>Native/job_launcher.c</c>), the sandbox's init, forks and execs each job's interpreter, frames its output, and
/// kills everything the job left and empties every writable place (but the job's result file) before it reports the end. A job so pays for a fork and an exec, not
/// for a new sandbox and a child process of the silo's. Jobs get their directories in <see cref="Folder"/>.
/// </summary>
internal sealed class JobLauncher : SandboxedProcess
{
    // The launcher enforces the time limit itself; this is how much longer the silo waits for its answer before it
    // takes the launcher for hung and stops the whole sandbox.
    private static readonly TimeSpan AnswerGrace = TimeSpan.FromSeconds(10);

    private const uint MaxFrame = 1 << 16;

    /// <summary>The launcher program, built from <c>Native/job_launcher.c</c> into the output folder.</summary>
    public static string ProgramPath { get; } = Path.Combine(AppContext.BaseDirectory, "triggers-job-launcher");

    /// <summary>Where a job may write in a launcher's sandbox besides <see cref="Folder"/>: each is emptied before every job.</summary>
    public static IReadOnlyList<string> SharedWritableFolders { get; } = ["/tmp", "/dev/shm", "/dev/mqueue"];

    private readonly Stream _requests;
    private readonly Stream _answers;
    private readonly byte[] _header = new byte[5];
    private readonly List<string> _complaints = [];

    /// <param name="process">The launcher, started in its sandbox with <paramref name="folder"/> bound in.</param>
    /// <param name="cgroup">The sandbox's control group, which the launcher owns from now on.</param>
    public JobLauncher(JobSandbox sandbox, string key, Process process, JobDirectory folder, JobCgroup? cgroup)
        : base(sandbox, process, folder, cgroup)
    {
        Key = key;
        _requests = process.StandardInput.BaseStream;
        // Buffered: a frame's header and payload mostly arrive together, and each read of the pipe is an async round trip.
        _answers = new BufferedStream(process.StandardOutput.BaseStream, 1 << 16);
        // What the sandbox or the launcher says when it gives up (bubblewrap: "Can't find source path ..."), told with
        // the job it ends.
        process.ErrorDataReceived += (_, line) =>
        {
            if (line.Data is { } text) lock (_complaints) if (_complaints.Count < 20) _complaints.Add(text);
        };
        process.BeginErrorReadLine();
    }

    /// <summary>What its sandbox holds besides the system (<see cref="KeyOf"/>).</summary>
    public string Key { get; }

    /// <summary>
    /// The interpreter's file and the read-only folders (an installed dependency set), each with when it was made and
    /// last changed: a sandbox holds what it bound when it started, so a dependency set installed again or an
    /// interpreter upgraded at the same path needs a new one. Any job with the same key may run in the sandbox.
    /// </summary>
    public static string KeyOf(string executable, IReadOnlyList<string> readOnlyPaths) =>
        string.Join('\n', readOnlyPaths.Prepend(JobSandbox.RealPath(executable))
            .Select(path => $"{path}@{File.GetCreationTimeUtc(path).Ticks}:{File.GetLastWriteTimeUtc(path).Ticks}"));

    /// <summary>A key's files without their versions: launchers of other versions of the same files are not used again.</summary>
    public static string FilesOf(string key) =>
        string.Join('\n', key.Split('\n').Select(version => version[..version.LastIndexOf('@')]));

    /// <summary>The folder jobs' directories go in: bound into the sandbox, and emptied by the launcher before each job.</summary>
    public string Folder => Directory.Path;

    /// <summary>A new job directory in <see cref="Folder"/>; the launcher empties the folder before its next job.</summary>
    public JobDirectory CreateDirectory() => JobDirectory.CreateIn(Folder);

    /// <summary>Runs <paramref name="command"/> (whose directory is in <see cref="Folder"/>) to its end.</summary>
    public async Task<JobProcessExit> RunAsync(JobCommand command, TimeSpan timeout, CancellationToken ct)
    {
        Sandbox.HandOver(command);
        var output = new JobOutput();
        // The group holds the launcher and one job at a time: a kill counted while this job ran was one of its processes.
        var killsBefore = Cgroup?.OutOfMemoryKills ?? 0;
        var stdout = new StreamDecoder(Encoding.UTF8);
        var stderr = new StreamDecoder(Encoding.UTF8);
        using var guard = CancellationTokenSource.CreateLinkedTokenSource(ct);
        if (timeout != Timeout.InfiniteTimeSpan) guard.CancelAfter(timeout + AnswerGrace);
        try
        {
            await _requests.WriteAsync(Request(command, timeout), guard.Token);
            await _requests.FlushAsync(guard.Token);
            while (true)
            {
                var (tag, payload) = await ReadFrameAsync(guard.Token);
                switch (tag)
                {
                    case (byte)'O': output.Append(stdout.Decode(payload), isStderr: false); break;
                    case (byte)'E': output.Append(stderr.Decode(payload), isStderr: true); break;
                    case (byte)'X':
                        output.Append(stdout.Flush(), isStderr: false);
                        output.Append(stderr.Flush(), isStderr: true);
                        if (Cgroup?.OutOfMemoryKills > killsBefore) output.Append(Sandbox.OverMemory, isStderr: true);
                        return Exit(Encoding.UTF8.GetString(payload), output);
                    default: throw new IOException($"The job launcher sent an unknown frame ({tag}).");
                }
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            Stop();
            return new JobProcessExit(-1, TimedOut: true, output.Logs, output.StderrTail, output.StdoutTail);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            if (Cgroup?.OutOfMemoryKills > killsBefore) output.Append(Sandbox.OverMemory, isStderr: true);
            return await DiedAsync(output);
        }
        catch
        {
            // Cancelled with the silo, or anything else: the conversation with the launcher is out of step.
            Stop();
            throw;
        }
    }

    /// <summary>The sandbox ended in the middle of a job: the job fails with what the sandbox said and its exit code.</summary>
    private async Task<JobProcessExit> DiedAsync(JobOutput output)
    {
        using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try { await Process.WaitForExitAsync(grace.Token); }
        catch (OperationCanceledException) { }
        Stop();
        lock (_complaints) foreach (var line in _complaints) output.Append(line + "\n", isStderr: true);
        var exitCode = Process.HasExited ? Process.ExitCode : -1;
        return new JobProcessExit(exitCode, false, output.Logs, output.StderrTail, output.StdoutTail);
    }

    private JobProcessExit Exit(string end, JobOutput output)
    {
        // It could not empty the sandbox after the job and has exited: the next job gets a new sandbox.
        const string unclean = " unclean";
        if (end.EndsWith(unclean, StringComparison.Ordinal))
        {
            Stop();
            end = end[..^unclean.Length];
        }
        var (kind, detail) = end.IndexOf(' ') is var space and > 0 ? (end[..space], end[(space + 1)..]) : (end, "");
        var exitCode = kind switch
        {
            "exit" => int.Parse(detail, CultureInfo.InvariantCulture),
            "signal" => 128 + int.Parse(detail, CultureInfo.InvariantCulture),
            "timeout" => -1,
            // The interpreter could not be started (a missing file, no permission): as a shell reports it.
            _ => 127,
        };
        if (kind == "error") output.Append($"could not start {detail}\n", isStderr: true);
        return new JobProcessExit(exitCode, kind == "timeout", output.Logs, output.StderrTail, output.StdoutTail);
    }

    private async Task<(byte Tag, byte[] Payload)> ReadFrameAsync(CancellationToken ct)
    {
        await _answers.ReadExactlyAsync(_header, ct);
        var length = BinaryPrimitives.ReadUInt32LittleEndian(_header.AsSpan(1));
        // The launcher sends at most one pipe read (64 KiB) a frame: anything longer means the stream is out of step.
        if (length > MaxFrame) throw new IOException($"The job launcher sent a frame of {length} bytes.");
        var payload = new byte[length];
        await _answers.ReadExactlyAsync(payload, ct);
        return (_header[0], payload);
    }

    /// <summary>The request format of <c>job_launcher.c</c>: a length, then tagged NUL-terminated fields.</summary>
    private byte[] Request(JobCommand command, TimeSpan timeout)
    {
        // The sandbox holds the interpreter's file itself, not the links that lead to it.
        var fields = new List<string> { "D" + command.Directory.Path, "A" + JobSandbox.RealPath(command.Executable) };
        fields.AddRange(command.Arguments.Select(argument => "A" + argument));
        fields.AddRange(JobSandbox.JobEnvironment(command).Select(variable => $"E{variable.Key}={variable.Value}"));
        fields.AddRange(Sandbox.Limits(command).Select(limit => string.Create(CultureInfo.InvariantCulture, $"L{limit.Key}={limit.Value}")));
        if (timeout != Timeout.InfiniteTimeSpan) fields.Add(string.Create(CultureInfo.InvariantCulture, $"T{(long)timeout.TotalMilliseconds}"));
        fields.AddRange(command.ResultFiles.Select(file => "K" + file));

        if (fields.Any(field => field.Contains('\0')))
            throw new ArgumentException("A job's arguments and environment cannot contain NUL characters.", nameof(command));
        var body = Encoding.UTF8.GetBytes(string.Join('\0', fields) + '\0');
        var request = new byte[4 + body.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(request, (uint)body.Length);
        body.CopyTo(request, 4);
        return request;
    }

    /// <summary>Decodes one stream's chunks, keeping a character split between two chunks whole.</summary>
    private sealed class StreamDecoder(Encoding encoding)
    {
        private readonly Decoder _decoder = encoding.GetDecoder();

        public string Decode(byte[] bytes) => Decode(bytes, flush: false);

        /// <summary>What is left of a character cut off at the stream's end, as a replacement character.</summary>
        public string Flush() => Decode([], flush: true);

        private string Decode(byte[] bytes, bool flush)
        {
            var chars = new char[_decoder.GetCharCount(bytes, flush)];
            var count = _decoder.GetChars(bytes, chars, flush);
            return new string(chars, 0, count);
        }
    }
}
