namespace Triggers.Runtimes.Sandbox;

/// <summary>How job processes are isolated from the silo and from each other.</summary>
public enum SandboxMode
{
    /// <summary>Bubblewrap where it works on this machine; otherwise the silo runs no jobs and says why (startup banner,
    /// <c>/health</c>), while it still listens and serves the API.</summary>
    Auto,

    /// <summary>Bubblewrap, or the silo does not start.</summary>
    Bubblewrap,

    /// <summary>No namespaces: a job sees the machine's processes and files as its user can (a root silo still hands
    /// it <see cref="SandboxOptions.SandboxUid"/>). Warned about at startup.</summary>
    None,
}

/// <summary>The network a sandboxed job gets.</summary>
public enum JobNetwork
{
    /// <summary>A network namespace of the sandbox's own, connected outwards by <c>pasta</c> (Debian package passt):
    /// the job reaches the internet and other hosts, but of this host's loopback only the API's port
    /// (<c>BASE_INTERNAL_URL</c>): not the silo's cluster ports, the development broker, other jobs' ports, nor the
    /// host's sockets in <c>/proc/net</c>.</summary>
    Isolated,

    /// <summary>Only a loopback of the sandbox's own.</summary>
    None,

    /// <summary>The host's own network, loopback included: only where the host's ports need no protection from jobs.</summary>
    Host,
}

/// <summary>
/// The job sandbox, configured in the <c>Workers</c> section beside the worker slots: <c>Workers:Sandbox</c>,
/// <c>Workers:SandboxUid</c>, <c>Workers:Network</c>, <c>Workers:JobDiskMb</c> and <c>Workers:Limits:*</c>.
/// </summary>
public sealed class SandboxOptions
{
    public const string Section = "Workers";

    public SandboxMode Sandbox { get; set; } = SandboxMode.Auto;

    /// <summary>The bubblewrap program: a name looked up on the PATH, or a path.</summary>
    public string Bubblewrap { get; set; } = "bwrap";

    /// <summary>The host user id jobs run as when the silo runs as root (65534 is <c>nobody</c>). A silo that is not
    /// root runs jobs as its own user, inside a user namespace.</summary>
    public int SandboxUid { get; set; } = 65534;

    /// <summary>What network jobs get: <c>isolated</c> (the default; <c>true</c> also means it), <c>none</c>
    /// (<c>false</c> too) or <c>host</c>. See <see cref="JobNetwork"/>.</summary>
    public string Network { get; set; } = "isolated";

    /// <summary>Ports of this host's loopback that jobs in an isolated network reach besides the API's: a local proxy or
    /// sidecar they are meant to use. Nothing else of the host's loopback is reachable.</summary>
    public List<int> HostPorts { get; set; } = [];

    /// <summary><see cref="Network"/>, read.</summary>
    /// <exception cref="InvalidOperationException">It is none of the values above.</exception>
    public JobNetwork NetworkMode => Network.Trim().ToLowerInvariant() switch
    {
        "isolated" or "true" => JobNetwork.Isolated,
        "none" or "false" => JobNetwork.None,
        "host" => JobNetwork.Host,
        _ => throw new InvalidOperationException($"Workers:Network is '{Network}'; it must be isolated (the default), none or host."),
    };

    /// <summary>Whether a worker slot's sandbox runs its process-per-job jobs one after another (each a new process; the
    /// launcher kills what a job left running and empties every writable place before the next), instead of each job
    /// starting a sandbox of its own, which costs about 10 ms a job.</summary>
    public bool ReuseSandbox { get; set; } = true;

    /// <summary>The size of a job's folder (its HOME and TMPDIR): a tmpfs of this size where the silo may mount one
    /// (root with the right to mount), so a job cannot fill the host's disk; elsewhere the folder is on disk and only
    /// <see cref="JobLimits.FileSizeMb"/> bounds each file. A process-per-job job shares it with nothing: its worker
    /// slot's folder is emptied before each job. 0: on disk, no tmpfs.</summary>
    public int JobDiskMb { get; set; } = 512;

    public JobLimits Limits { get; set; } = new();
}

/// <summary>Resource limits of every process a job starts (0: no limit). They are the kernel's per-process limits
/// (setrlimit), set before the interpreter starts, so a job cannot raise them; where the silo can make control groups,
/// <see cref="MemoryMb"/> and <see cref="Processes"/> also bound all of a job's processes together.</summary>
public sealed class JobLimits
{
    /// <summary>Heap and other private writable memory of one process (RLIMIT_DATA): an allocation beyond it fails
    /// (Python's MemoryError, JavaScript's "Out of memory"). Address-space reservations, which Bun makes in the
    /// gigabytes, do not count, so unlike RLIMIT_AS this does not break the runtime.</summary>
    public int MemoryMb { get; set; } = 2048;

    /// <summary>Processes and threads of a job (RLIMIT_NPROC, counted in the job's own user namespace): the end of a
    /// fork bomb. Applied only in the bubblewrap sandbox, where the count is the job's alone.</summary>
    public int Processes { get; set; } = 512;

    /// <summary>Open files per process (RLIMIT_NOFILE).</summary>
    public int OpenFiles { get; set; } = 1024;

    /// <summary>The largest file a job may write (RLIMIT_FSIZE).</summary>
    public int FileSizeMb { get; set; } = 1024;

    /// <summary>The size of the job's private /tmp, which lives in memory (its directory, also TMPDIR, is on disk).</summary>
    public int TmpMb { get; set; } = 128;

    /// <summary>CPU time of one process (RLIMIT_CPU). Not applied to dedicated workers' long-lived processes, whose
    /// jobs the job timeout bounds instead.</summary>
    public int CpuSeconds { get; set; } = 600;
}
