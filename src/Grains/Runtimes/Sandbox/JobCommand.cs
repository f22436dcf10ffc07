namespace Triggers.Runtimes.Sandbox;

/// <summary>A process to start for a job, and what it may see besides the system's programs and its own directory.</summary>
/// <param name="Executable">The interpreter or tool, as <see cref="ExecutableLocator"/> found it.</param>
/// <param name="Directory">The job's private directory: its working directory, HOME and TMPDIR, and writable.</param>
internal sealed record JobCommand(string Executable, IReadOnlyList<string> Arguments, JobDirectory Directory)
{
    /// <summary>Variables the process gets besides PATH, HOME, TMPDIR and LANG.</summary>
    public IReadOnlyDictionary<string, string>? Environment { get; init; }

    /// <summary>Folders it reads outside the system's own, such as an installed dependency set.</summary>
    public IReadOnlyList<string> ReadOnlyPaths { get; init; } = [];

    /// <summary>Folders it writes besides its directory, such as a package manager's download cache.</summary>
    public IReadOnlyList<string> WritablePaths { get; init; } = [];

    /// <summary>Ports of this host's loopback it reaches besides the API's when its network is isolated, such as a
    /// package index served on this host.</summary>
    public IReadOnlyList<int> HostPorts { get; init; } = [];

    /// <summary>Regular files in its directory that the silo reads after it ends (the wrapper's result): a reused sandbox
    /// keeps them until its next job, and empties everything else at once.</summary>
    public IReadOnlyList<string> ResultFiles { get; init; } = [];

    /// <summary>A dedicated worker's process, which runs job after job: no CPU-time limit, the job timeout bounds each job.</summary>
    public bool LongLived { get; init; }

    /// <summary>A <see cref="JobLauncher"/>, whose sandbox runs one job after another: the jobs' limits are set per job,
    /// the places a job can write are apart so that they can be emptied between jobs, and the rest is read-only.</summary>
    public bool RunsJobs { get; init; }
}
