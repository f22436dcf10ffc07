using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Extensions.Logging;

namespace Triggers.Runtimes.Sandbox;

/// <summary>
/// Starts job processes, in a bubblewrap sandbox where it works: their own PID, mount, IPC, UTS and user namespaces,
/// the system's programs and libraries read-only, a fresh /proc and /dev, the job's directory and a small in-memory /tmp
/// as the only writable places, and a host user of its own (<see cref="SandboxOptions.SandboxUid"/>, also without the
/// sandbox) when the silo is root. The
/// silo's files, environment and processes, and other jobs' directories, are not there to be seen. Everything a job
/// starts dies with it, because it all lives in the job's PID namespace. Every process also gets
/// <see cref="JobLimits"/>, set by <c>prlimit</c> just before the interpreter starts. A process-per-job job runs in its
/// worker slot's sandbox, where a <see cref="JobLauncher"/> starts it and, once it ended, removes everything it left;
/// with <see cref="SandboxOptions.ReuseSandbox"/> off, or without the launcher, each job starts a sandbox of its own.
/// </summary>
public sealed class JobSandbox : IDisposable
{
    // The top-level system directories besides /usr; on merged-/usr systems they are links into it.
    private static readonly string[] SystemDirectories = ["bin", "sbin", "lib", "lib32", "lib64", "libx32"];

    // What programs read from /etc: name resolution, TLS roots, users and groups, time zone, the loader's cache, and
    // Debian's alternatives (awk, editor). Nothing else of the host's configuration (keytabs, mounted secrets) is there.
    private static readonly string[] EtcEntries =
    [
        "alternatives", "ca-certificates", "ca-certificates.conf", "crypto-policies", "debian_version", "gai.conf",
        "group", "host.conf", "hostname", "hosts", "ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "mime.types",
        "nsswitch.conf", "os-release", "passwd", "pki", "protocols", "resolv.conf", "services", "ssl", "timezone",
    ];

    private static readonly TimeSpan ProbeLimit = TimeSpan.FromSeconds(20);

    private readonly SandboxOptions _options;
    private readonly string? _bubblewrap;
    private readonly string? _setpriv = ExecutableLocator.Find("setpriv");
    private readonly string? _prlimit = ExecutableLocator.Find("prlimit");
    private readonly string? _pasta = ExecutableLocator.Find("pasta");
    private readonly string? _env = ExecutableLocator.Find("env");
    private readonly string? _shell = ExecutableLocator.Find("sh");
    private readonly Func<string?> _apiAddress;
    private readonly JobCgroups? _cgroups;
    private readonly long _diskBytes;

    // Each launcher is a sandbox holding one small process; beyond this many the least recently used idle ones make way.
    private const int MaxLaunchers = 32;

    private readonly WarmPool<JobLauncher>? _launchers;

    private JobSandbox(SandboxOptions options, SandboxMode mode, string description = "", bool reuse = false, Func<string?>? apiAddress = null,
        JobCgroups? cgroups = null, long diskBytes = 0)
    {
        _options = options;
        _cgroups = cgroups;
        _diskBytes = diskBytes;
        _apiAddress = apiAddress ?? (() => null);
        _bubblewrap = ExecutableLocator.Find(options.Bubblewrap);
        Mode = mode;
        Description = description;
        if (reuse) _launchers = new WarmPool<JobLauncher>(MaxLaunchers, JobLauncher.FilesOf);
    }

    /// <summary>What jobs run in, for a person: the startup banner shows it.</summary>
    public string Description { get; }

    /// <summary>Which limits bound a job here, for a person: the startup banner shows it.</summary>
    public string LimitsDescription { get; private init; } = "per process only (no sandbox)";

    /// <summary><see cref="SandboxMode.Bubblewrap"/> or <see cref="SandboxMode.None"/>: what jobs actually run in.</summary>
    public SandboxMode Mode { get; }

    /// <summary>Why this silo runs no jobs at all, or null when it does: <see cref="SandboxMode.Auto"/> found that the
    /// sandbox does not work here, and an unsandboxed job is only ever run when <see cref="SandboxMode.None"/> says so.</summary>
    public string? Unavailable { get; private init; }

    /// <summary>The host user jobs run as when the silo is root and so can hand them one: sandboxed or not, a job never
    /// runs as root.</summary>
    private int? JobUser => Environment.IsPrivilegedProcess && _setpriv is not null ? _options.SandboxUid : null;

    /// <summary>
    /// The sandbox <paramref name="options"/> ask for, after checking on this machine that it works: a trial job
    /// runs in it. Where it does not work, <see cref="SandboxMode.Auto"/> gives a sandbox that runs nothing
    /// (<see cref="Unavailable"/> says why); <see cref="SandboxMode.Bubblewrap"/> refuses to start instead.
    /// </summary>
    /// <param name="apiAddress">The API's address as jobs are told it (<c>BASE_INTERNAL_URL</c>), asked each time a
    /// sandbox starts: when it is on loopback, its port is the one of the host's loopback an isolated network reaches.</param>
    /// <exception cref="InvalidOperationException">Bubblewrap was required and does not work here.</exception>
    public static JobSandbox Create(SandboxOptions options, ILogger logger, Func<string?>? apiAddress = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Sandbox == SandboxMode.None)
        {
            logger.LogWarning("Workers:Sandbox is none: jobs run without a sandbox and can read whatever their user can, the machine's processes included");
            return new JobSandbox(options, SandboxMode.None, "UNSANDBOXED (Workers:Sandbox=none)");
        }

        var sandbox = new JobSandbox(options, SandboxMode.Bubblewrap);
        if (sandbox.Problem() is not { } problem)
        {
            var user = sandbox.JobUser is { } uid ? $"uid {uid}" : "the silo's uid in a user namespace";
            var reuse = options.ReuseSandbox && ReuseProblem(options, logger) is null;
            var network = options.NetworkMode switch
            {
                JobNetwork.Isolated => "network of its own (outbound, and the API's port of this host)",
                JobNetwork.None => "no network",
                _ => "THE HOST'S NETWORK (Workers:Network=host)",
            };
            var description = $"bubblewrap sandbox ({user}, {network}, {(reuse ? "one per worker slot, emptied after each job" : "one per job")})";
            var (cgroups, diskBytes, limits) = LimitsHere(options, logger);
            logger.LogInformation("Jobs run in a {Sandbox}; limits: {Limits}", description, limits);
            return new JobSandbox(options, SandboxMode.Bubblewrap, description, reuse, apiAddress, cgroups, diskBytes) { LimitsDescription = limits };
        }
        if (options.Sandbox == SandboxMode.Bubblewrap)
            throw new InvalidOperationException($"Workers:Sandbox is bubblewrap, but {problem}. Install bubblewrap and allow user namespaces, or set Workers:Sandbox=none to run jobs unsandboxed.");
        // Fail closed: an unsandboxed job could read what the silo's user can, so that needs Workers:Sandbox=none, said out loud.
        logger.LogError("This silo runs NO jobs, because the job sandbox does not work here: {Problem}. Install bubblewrap (Debian: apt-get install bubblewrap) " +
                        "and allow user namespaces, or set Workers:Sandbox=none to run jobs unsandboxed, knowing that they can then read whatever their user can", problem);
        return new JobSandbox(options, SandboxMode.None, $"NONE RUN HERE: {problem} (Workers:Sandbox=none would run them unsandboxed)") { Unavailable = problem };
    }

    /// <summary>
    /// The limits this host lets the silo set beyond the per-process ones: a control group per sandbox for the memory
    /// and processes of a job's processes together, and a size-limited tmpfs as the job's folder (both need root, and
    /// the tmpfs the right to mount). Says which apply.
    /// </summary>
    private static (JobCgroups? Cgroups, long DiskBytes, string Description) LimitsHere(SandboxOptions options, ILogger logger)
    {
        var limits = options.Limits;
        var parts = new List<string>();
        var cgroups = JobCgroups.Create(out var cgroupProblem);
        if (cgroups is not null)
            parts.Add($"{cgroups.Kind}: {(limits.MemoryMb > 0 ? $"{limits.MemoryMb} MiB" : "unlimited memory")} and {(limits.Processes > 0 ? $"{limits.Processes}" : "unlimited")} processes a job");
        else
        {
            parts.Add($"{limits.MemoryMb} MiB a process, not a job (no control group: {cgroupProblem})");
            logger.LogWarning("A job's processes are limited one by one, not together ({Limits} MiB each): no control group for them here, because {Problem}", limits.MemoryMb, cgroupProblem);
        }
        var diskBytes = options.JobDiskMb * (1L << 20);
        if (diskBytes > 0 && JobFolderMount.Problem(diskBytes) is { } mountProblem)
        {
            logger.LogWarning("A job's folder is on the host's disk, limited per file only ({FileSizeMb} MiB): Workers:JobDiskMb needs a tmpfs, and {Problem}", limits.FileSizeMb, mountProblem);
            diskBytes = 0;
        }
        parts.Add(diskBytes > 0 ? $"a {options.JobDiskMb} MiB folder (tmpfs)" : $"a folder on the host's disk, files up to {limits.FileSizeMb} MiB");
        parts.Add("and per process the Workers:Limits rlimits");
        return (cgroups, diskBytes, string.Join(", ", parts));
    }

    /// <summary>A new job directory: a tmpfs of <see cref="SandboxOptions.JobDiskMb"/> where the host allows it, so a job
    /// cannot fill the host's disk.</summary>
    internal JobDirectory CreateDirectory(string prefix = "triggers-job-") => JobDirectory.Create(prefix, _diskBytes);

    /// <summary>Why a worker slot's sandbox cannot be reused here (warned about), or null when a trial job ran in one.</summary>
    private static string? ReuseProblem(SandboxOptions options, ILogger logger)
    {
        string? problem;
        if (!File.Exists(JobLauncher.ProgramPath))
        {
            problem = $"this build has no {Path.GetFileName(JobLauncher.ProgramPath)} (it needs gcc at build time; run.sh installs it)";
        }
        else
        {
            using var trial = new JobSandbox(options, SandboxMode.Bubblewrap, reuse: true);
            problem = trial.TrialThroughLauncher();
        }
        if (problem is not null)
            logger.LogWarning("Each job starts a sandbox of its own, which costs about 10 ms a job, because {Problem}", problem);
        return problem;
    }

    private string? TrialThroughLauncher()
    {
        if (ExecutableLocator.Find("true") is not { } trial) return "there is no 'true' program to try it with";
        var launcher = RentLauncher(trial, [])!;
        try
        {
            using var directory = launcher.CreateDirectory();
            var exit = launcher.RunAsync(new JobCommand(trial, [], directory), ProbeLimit, CancellationToken.None).GetAwaiter().GetResult();
            return exit.ExitCode == 0 ? null : $"a trial job in a reused sandbox failed (exit code {exit.ExitCode}): {exit.StandardErrorTail.Trim()}";
        }
        finally
        {
            ReturnLauncher(launcher);
        }
    }

    /// <summary>A worker slot's sandbox for a job of <paramref name="executable"/> that reads
    /// <paramref name="readOnlyPaths"/>, to hand back with <see cref="ReturnLauncher"/>; null when each job starts a
    /// sandbox of its own (<see cref="JobProcess"/>).</summary>
    internal JobLauncher? RentLauncher(string executable, IReadOnlyList<string> readOnlyPaths)
    {
        if (_launchers is null) return null;
        var key = JobLauncher.KeyOf(executable, readOnlyPaths);
        return _launchers.Rent(key, () => StartLauncher(key, executable, readOnlyPaths));
    }

    internal void ReturnLauncher(JobLauncher launcher) => _launchers!.Return(launcher.Key, launcher);

    private JobLauncher StartLauncher(string key, string executable, IReadOnlyList<string> readOnlyPaths)
    {
        var folder = CreateDirectory("triggers-slot-");
        try
        {
            var command = new JobCommand(JobLauncher.ProgramPath, [.. JobLauncher.SharedWritableFolders, folder.Path], folder)
            {
                ReadOnlyPaths = [RealPath(executable), .. readOnlyPaths],
                LongLived = true,
                RunsJobs = true,
            };
            var process = Start(command, out var cgroup);
            return new JobLauncher(this, key, process, folder, cgroup);
        }
        catch
        {
            folder.Dispose();
            throw;
        }
    }

    public void Dispose() => _launchers?.Dispose();

    /// <summary>Why the sandbox does not work here, or null when a trial job ran in it.</summary>
    private string? Problem()
    {
        if (!OperatingSystem.IsLinux()) return "bubblewrap needs Linux";
        if (_bubblewrap is null) return $"bubblewrap ({_options.Bubblewrap}) is not installed";
        if (_prlimit is null) return "prlimit (util-linux) is not installed";
        if (Environment.IsPrivilegedProcess && _setpriv is null) return "setpriv (util-linux), with which a root silo hands jobs their own user, is not installed";
        if (_options.NetworkMode == JobNetwork.Isolated && (_pasta is null || _env is null))
            return "pasta (Debian package passt), which gives each sandbox a network of its own, is not installed (Workers:Network=none runs jobs without network)";
        if (ExecutableLocator.Find("true") is not { } trial) return "there is no 'true' program to try it with";

        using var directory = JobDirectory.Create();
        using var process = Start(new JobCommand(trial, [], directory), out var cgroup);
        using var _ = cgroup;
        process.StandardInput.Close();
        var errors = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(ProbeLimit))
        {
            KillEverything(process);
            return $"a trial job did not finish within {ProbeLimit.TotalSeconds:0} s";
        }
        if (process.ExitCode == 0) return null;
        var output = errors.Result.Trim();
        // pasta opens the tun device inside the user namespace it makes, as the jobs' user.
        var hint = output.Contains("tun", StringComparison.OrdinalIgnoreCase)
            ? " (pasta needs /dev/net/tun usable by the jobs' user: mode 0666, udev's default; scripts/install-sandbox.sh sets it)" : "";
        return $"a trial job failed (exit code {process.ExitCode}): {output}{hint}";
    }

    /// <summary>Starts <paramref name="command"/> (<see cref="StartInfo(JobCommand, out JobCgroup?)"/>).</summary>
    /// <param name="cgroup">The control group it runs in, to dispose once it ended; null where there are none.</param>
    internal Process Start(JobCommand command, out JobCgroup? cgroup)
    {
        var process = new Process { StartInfo = StartInfo(command, out cgroup) };
        try
        {
            process.Start();
            return process;
        }
        catch
        {
            process.Dispose();
            cgroup?.Dispose();
            throw;
        }
    }

    /// <summary>How to start <paramref name="command"/>: a cleared environment, the job's directory as home and working
    /// directory, standard streams redirected, in the sandbox and under the limits. Hands the directory to the job's user.</summary>
    /// <param name="cgroup">The control group the process enters first, to dispose once it ended; null where there are none.</param>
    internal ProcessStartInfo StartInfo(JobCommand command, out JobCgroup? cgroup)
    {
        if (Unavailable is not null) throw new InvalidOperationException($"This silo runs no jobs: the job sandbox does not work here ({Unavailable}).");
        var executable = Mode == SandboxMode.Bubblewrap ? RealPath(command.Executable) : command.Executable;
        // The launcher has a place of its own in the sandbox: its folder on the host says nothing to a job.
        var inside = command.RunsJobs ? LauncherInside : executable;
        cgroup = Mode == SandboxMode.Bubblewrap && _shell is not null ? _cgroups?.Create(CgroupMemoryBytes, CgroupProcesses) : null;
        try
        {
            return StartInfo(command, executable, inside, cgroup);
        }
        catch
        {
            cgroup?.Dispose();
            throw;
        }
    }

    private ProcessStartInfo StartInfo(JobCommand command, string executable, string inside, JobCgroup? cgroup)
    {
        var argv = new List<string>();
        if (cgroup is not null) argv.AddRange(cgroup.Enter(_shell!));
        if (JobUser is { } uid)
        {
            argv.AddRange([_setpriv!, $"--reuid={uid}", $"--regid={uid}", "--clear-groups", "--"]);
            GiveToUser(command, uid);
        }
        if (Mode == SandboxMode.Bubblewrap)
        {
            if (_options.NetworkMode == JobNetwork.Isolated) argv.AddRange(PastaArguments(command));
            argv.Add(_bubblewrap!);
            argv.AddRange(BubblewrapArguments(command, executable, inside));
        }
        else if (ProcessGroup.Launcher is { } setsid)
        {
            argv.Add(setsid);
        }
        if (_prlimit is not null && !command.RunsJobs) argv.AddRange([_prlimit, .. LimitArguments(command), "--"]);
        argv.Add(Mode == SandboxMode.Bubblewrap ? inside : executable);
        argv.AddRange(command.Arguments);

        var startInfo = new ProcessStartInfo
        {
            FileName = argv[0],
            WorkingDirectory = command.Directory.Path,
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var argument in argv.Skip(1)) startInfo.ArgumentList.Add(argument);

        // Nothing of the host's environment (credentials, connection strings) reaches a job; bubblewrap passes on
        // exactly this environment.
        startInfo.Environment.Clear();
        foreach (var (name, value) in JobEnvironment(command)) startInfo.Environment[name] = value;
        return startInfo;
    }

    /// <summary>A job process's whole environment: the job's directory as home and working directory, and its variables.</summary>
    internal static Dictionary<string, string> JobEnvironment(JobCommand command)
    {
        var environment = new Dictionary<string, string>
        {
            ["PATH"] = JobProcess.SearchPath,
            ["HOME"] = command.Directory.Path,
            ["TMPDIR"] = command.Directory.Path,
            ["LANG"] = "C.UTF-8",
            ["PWD"] = command.Directory.Path,
        };
        foreach (var (name, value) in command.Environment ?? new Dictionary<string, string>()) environment[name] = value;
        return environment;
    }

    /// <summary>A sandbox's memory: its job's, and its in-memory folders' when full (/tmp, /dev/shm and the job's folder),
    /// which the kernel counts to whoever wrote them.</summary>
    private long CgroupMemoryBytes => _options.Limits.MemoryMb <= 0 ? 0
        : (_options.Limits.MemoryMb + 2L * Math.Max(_options.Limits.TmpMb, 0)) * (1L << 20) + _diskBytes;

    // The sandbox's own processes (pasta, bubblewrap, the launcher) besides the job's.
    private int CgroupProcesses => _options.Limits.Processes <= 0 ? 0 : _options.Limits.Processes + 16;

    /// <summary>What a job's log says when the kernel stopped one of its processes at the memory limit.</summary>
    internal string OverMemory =>
        $"The job's processes together went over its memory limit of {_options.Limits.MemoryMb} MiB (Workers:Limits:MemoryMb), and the kernel stopped one of them.\n";

    private const string LauncherInside = "/run/triggers-job-launcher";

    /// <summary>
    /// pasta makes a user and network namespace, connects it outwards through a tap device it serves itself, and runs
    /// bubblewrap in it. No port of the host is forwarded in or out but the API's: pasta's default ("auto") would forward
    /// every port bound on the host, and its default gateway mapping would open the host's whole loopback. IPv4 only:
    /// with IPv6, the host's link-local address would reach its wildcard listeners.
    /// </summary>
    private IEnumerable<string> PastaArguments(JobCommand command)
    {
        var ports = command.HostPorts.Concat(_options.HostPorts).Concat(LoopbackPort(_apiAddress()) is { } api ? [api] : []).Distinct().ToList();
        var forwarded = ports.Count == 0 ? "none" : string.Join(',', ports.Select(p => p.ToString(CultureInfo.InvariantCulture)));
        // .NET ignores SIGPIPE, and an ignored signal stays ignored across exec: this pasta takes that for a failure to
        // install its own handlers, so it starts with the default again (as do the jobs, which pipelines expect).
        return [_env!, "--default-signal=PIPE", _pasta!, "--foreground", "--quiet", "--ipv4-only", "--config-net", "--no-map-gw",
            "--tcp-ports", "none", "--udp-ports", "none", "--tcp-ns", forwarded, "--udp-ns", "none", "--"];
    }

    /// <summary>The port of <paramref name="url"/> when it names this host's loopback, which only a forward reaches from
    /// an isolated network.</summary>
    internal static int? LoopbackPort(string? url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.IsLoopback ? uri.Port : null;

    /// <summary>The user a sandbox's processes run as, in every namespace: the jobs' host user, or the silo's own.</summary>
    private int SandboxUid => JobUser ?? HostUser.Id;

    private int SandboxGid => JobUser ?? HostUser.GroupId;

    private IEnumerable<string> BubblewrapArguments(JobCommand command, string executable, string inside)
    {
        yield return "--unshare-user";
        if (_options.NetworkMode == JobNetwork.Isolated)
        {
            // In pasta's user namespace the sandbox's user is root; inside bubblewrap's it is the same user as without pasta.
            yield return "--uid";
            yield return SandboxUid.ToString(CultureInfo.InvariantCulture);
            yield return "--gid";
            yield return SandboxGid.ToString(CultureInfo.InvariantCulture);
            // Its parent is pasta, not a silo thread: when pasta is killed, the sandbox goes with it.
            yield return "--die-with-parent";
        }
        // No user namespaces inside: they are a common way into kernel bugs, and jobs have no use for them.
        yield return "--disable-userns";
        yield return "--unshare-pid";
        // The interpreter (or the job launcher) itself is the namespace's init, so when it exits the kernel kills
        // everything the job left behind (bubblewrap's own init would wait for them). Bubblewrap's init would also hold
        // the silo's pipes, open to any process in the sandbox through /proc/1/fd; an init of the job's own is where
        // that does not matter, and the launcher is not dumpable.
        yield return "--as-pid-1";
        yield return "--unshare-ipc";
        yield return "--unshare-uts";
        yield return "--unshare-cgroup-try";
        if (_options.NetworkMode == JobNetwork.None) yield return "--unshare-net";
        // Without pasta, not --die-with-parent: that ties the sandbox to the thread that started it, and the thread pool
        // ends idle threads, killing their jobs. KillEverything kills the sandbox's tree instead. A new session: a job cannot push
        // input into the silo's terminal.
        yield return "--new-session";
        yield return "--hostname";
        yield return "job";

        foreach (var argument in ReadOnly("/usr")) yield return argument;
        foreach (var name in SystemDirectories)
        {
            var path = "/" + name;
            if (new FileInfo(path).LinkTarget is { } target) { yield return "--symlink"; yield return target; yield return path; }
            else if (Directory.Exists(path)) foreach (var argument in ReadOnly(path)) yield return argument;
        }
        foreach (var name in EtcEntries) { yield return "--ro-bind-try"; yield return "/etc/" + name; yield return "/etc/" + name; }
        yield return "--proc";
        yield return "/proc";
        yield return "--dev";
        yield return "/dev";
        if (command.RunsJobs)
        {
            // Shared memory and message queues in places of their own, which the launcher empties between jobs; shared
            // memory is in memory like /tmp, and as small.
            foreach (var argument in Tmpfs("/dev/shm")) yield return argument;
            yield return "--mqueue";
            yield return "/dev/mqueue";
        }
        // The job's directory usually lies in /tmp: the private /tmp comes first and the directory is mounted into it.
        foreach (var argument in Tmpfs("/tmp")) yield return argument;

        if (!executable.StartsWith("/usr/", StringComparison.Ordinal) || inside != executable)
        {
            yield return "--ro-bind";
            yield return executable;
            yield return inside;
        }
        foreach (var path in command.ReadOnlyPaths.Where(path => !path.StartsWith("/usr/", StringComparison.Ordinal)))
            foreach (var argument in ReadOnly(path)) yield return argument;
        foreach (var path in command.WritablePaths.Prepend(command.Directory.Path))
        {
            yield return "--bind";
            yield return path;
            yield return path;
        }
        if (command.RunsJobs)
        {
            // The sandbox's own root and /dev belong to its user: writable, a job could leave /etc/ld.so.preload or a
            // new /dev/urandom for the next job.
            yield return "--remount-ro";
            yield return "/dev";
            yield return "--remount-ro";
            yield return "/";
        }
        yield return "--chdir";
        yield return command.Directory.Path;
        yield return "--";
    }

    private static string[] ReadOnly(string path) => ["--ro-bind", path, path];

    // A tmpfs lives in memory, which no per-process limit counts: it gets Limits.TmpMb.
    private IEnumerable<string> Tmpfs(string path) => _options.Limits.TmpMb > 0
        ? ["--size", (_options.Limits.TmpMb * (1L << 20)).ToString(CultureInfo.InvariantCulture), "--tmpfs", path]
        : ["--tmpfs", path];

    /// <summary>The <see cref="JobLimits"/> of a job's processes, as prlimit names the resources.</summary>
    internal IEnumerable<KeyValuePair<string, long>> Limits(JobCommand command)
    {
        var limits = _options.Limits;
        if (limits.MemoryMb > 0) yield return new("data", limits.MemoryMb * (1L << 20));
        // Outside a user namespace of its own the count would be the whole user's, the silo's processes included.
        if (limits.Processes > 0 && Mode == SandboxMode.Bubblewrap) yield return new("nproc", limits.Processes);
        if (limits.OpenFiles > 0) yield return new("nofile", limits.OpenFiles);
        if (limits.FileSizeMb > 0) yield return new("fsize", limits.FileSizeMb * (1L << 20));
        if (limits.CpuSeconds > 0 && !command.LongLived) yield return new("cpu", limits.CpuSeconds);
    }

    private IEnumerable<string> LimitArguments(JobCommand command) =>
        Limits(command).Select(limit => string.Create(CultureInfo.InvariantCulture, $"--{limit.Key}={limit.Value}"));

    /// <summary>A link's final target: the sandbox mounts the file itself, not a link that may point outside it.</summary>
    internal static string RealPath(string path) => File.ResolveLinkTarget(path, returnFinalTarget: true)?.FullName ?? path;

    /// <summary>Gives a job launcher's job its directory (<see cref="StartInfo"/> does this for a process of its own).</summary>
    internal void HandOver(JobCommand command)
    {
        if (JobUser is { } uid) GiveToUser(command, uid);
    }

    /// <summary>
    /// The job's user owns its directory and the files the silo just wrote there, so it can read and write them; of
    /// the other writable folders only the folder itself, because what is inside was written by earlier jobs as this
    /// same user, and a walk through a tree a job controls could be led elsewhere by links.
    /// </summary>
    private static void GiveToUser(JobCommand command, int uid)
    {
        foreach (var path in command.WritablePaths) ChangeOwner(path, uid);
        ChangeOwner(command.Directory.Path, uid);
        foreach (var entry in Directory.EnumerateFileSystemEntries(command.Directory.Path, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint }))
            ChangeOwner(entry, uid);
    }

    private static void ChangeOwner(string path, int uid)
    {
        // lchown: a link is given away itself, never what it points to.
        if (!HostUser.GiveLink(path, uid, uid))
            throw new Win32Exception(Marshal.GetLastPInvokeError(), $"Could not hand {path} to the job's user {uid}");
    }

    /// <summary>Kills a running job process and everything it started: in the sandbox that ends the job's PID namespace;
    /// without it, the process group catches what escaped the tree.</summary>
    internal void KillEverything(Process process)
    {
        try
        {
            // An exited process's id may already be another's, and so may the ids of its former children.
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
        catch (Exception e) when (e is InvalidOperationException or Win32Exception or AggregateException)
        {
            // It exited meanwhile, or part of the tree vanished while it was being walked; the sweep covers the rest.
        }
        Sweep(process);
    }

    /// <summary>After a job process ended, ends what it left running: without the sandbox, background processes that
    /// escaped its tree but not its process group. In the sandbox there is nothing left: the PID namespace ended with it.</summary>
    internal void Sweep(Process process)
    {
        if (Mode == SandboxMode.None) ProcessGroup.Kill(process.Id);
    }
}
