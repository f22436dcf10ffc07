using System.Globalization;

namespace Triggers.Runtimes.Sandbox;

/// <summary>
/// Control groups of the silo's own for its sandboxes, so that a job's processes together stay under one memory and one
/// process limit, which per-process limits cannot do (four processes each under RLIMIT_DATA hold four times as much).
/// Each sandbox (a worker slot's, a job's own, a dedicated worker's) gets a <see cref="JobCgroup"/> under a folder named
/// after the silo's process, below the silo's own group: the host's limits on the silo still bound them all.
/// Works with a cgroup v2 whose memory and pids controllers the silo may hand down (a delegated subtree, or a container
/// whose group holds only the silo), and with cgroup v1's memory and pids hierarchies; elsewhere there is none, and
/// the per-process limits are all there is.
/// </summary>
internal sealed class JobCgroups
{
    private const string Root = "/sys/fs/cgroup";
    private const string SiloLeaf = "silo";

    private readonly bool _unified;
    // v2: one folder; v1: the memory hierarchy's and the pids hierarchy's.
    private readonly string[] _bases;
    private readonly List<JobCgroup> _leftOver = [];
    // Static: every sandbox of this process shares its folder.
    private static int _next;

    private JobCgroups(bool unified, string[] bases)
    {
        _unified = unified;
        _bases = bases;
    }

    /// <summary>"cgroup v2" or "cgroup v1", for the banner.</summary>
    public string Kind => _unified ? "cgroup v2" : "cgroup v1";

    /// <summary>The control groups this silo can make for its sandboxes, or null with <paramref name="problem"/> saying
    /// why there are none.</summary>
    public static JobCgroups? Create(out string problem)
    {
        problem = "";
        if (!OperatingSystem.IsLinux()) { problem = "not Linux"; return null; }
        try
        {
            var groups = File.Exists(Path.Combine(Root, "cgroup.controllers")) ? Unified(out problem) : Legacy(out problem);
            groups?.RemoveOthersLeftOvers();
            return groups;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            problem = e.Message;
            return null;
        }
    }

    /// <summary>cgroup v2: the silo's group must hand memory and pids down. A group with processes cannot (the "no
    /// internal processes" rule), so a silo alone in its group (a container's) first moves itself into a leaf.</summary>
    private static JobCgroups? Unified(out string problem)
    {
        var own = OwnGroup("");
        if (own is null) { problem = "the silo's own cgroup is not in /proc/self/cgroup"; return null; }
        // Already moved into its leaf by an earlier sandbox of this process: the group to hand down is the leaf's parent.
        if (Path.GetFileName(own) == SiloLeaf) own = Path.GetDirectoryName(own)!;
        var group = Path.Join(Root, own);
        var controllers = File.ReadAllText(Path.Combine(group, "cgroup.controllers")).Split(' ', StringSplitOptions.TrimEntries);
        if (!controllers.Contains("memory") || !controllers.Contains("pids"))
        {
            problem = $"the silo's cgroup ({own}) has no memory and pids controllers to hand down";
            return null;
        }
        if (!Delegate(group))
        {
            var members = File.ReadAllLines(Path.Combine(group, "cgroup.procs")).Where(line => line.Length > 0).ToList();
            if (members.Count != 1 || members[0] != Environment.ProcessId.ToString(CultureInfo.InvariantCulture))
            {
                problem = $"the silo's cgroup ({own}) holds other processes too, so it cannot hand its controllers down (run the silo in a group of its own, or delegate one)";
                return null;
            }
            var silo = Directory.CreateDirectory(Path.Combine(group, SiloLeaf)).FullName;
            File.WriteAllText(Path.Combine(silo, "cgroup.procs"), Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
            if (!Delegate(group)) { problem = $"the silo's cgroup ({own}) refuses to hand memory and pids down"; return null; }
        }
        var jobs = Directory.CreateDirectory(Path.Combine(group, $"orleans-triggers-{Environment.ProcessId}")).FullName;
        if (!Delegate(jobs)) { problem = $"{jobs} refuses to hand memory and pids down"; return null; }
        problem = "";
        return new JobCgroups(unified: true, [jobs]);
    }

    private static bool Delegate(string group)
    {
        try
        {
            File.WriteAllText(Path.Combine(group, "cgroup.subtree_control"), "+memory +pids");
            return true;
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static JobCgroups? Legacy(out string problem)
    {
        var bases = new List<string>();
        foreach (var controller in new[] { "memory", "pids" })
        {
            var own = OwnGroup(controller);
            var hierarchy = Path.Combine(Root, controller);
            if (own is null || !Directory.Exists(hierarchy)) { problem = $"there is no cgroup v1 {controller} hierarchy"; return null; }
            // In a container that sees the host's hierarchy, the silo's group is a path in it; in one with a cgroup
            // namespace, the hierarchy's root is the silo's group.
            var group = Directory.Exists(Path.Join(hierarchy, own)) ? Path.Join(hierarchy, own) : hierarchy;
            bases.Add(Directory.CreateDirectory(Path.Combine(group, $"orleans-triggers-{Environment.ProcessId}")).FullName);
        }
        problem = "";
        return new JobCgroups(unified: false, [.. bases]);
    }

    /// <summary>The silo's group in the hierarchy of <paramref name="controller"/> ("" for cgroup v2), from /proc/self/cgroup.</summary>
    private static string? OwnGroup(string controller)
    {
        foreach (var line in File.ReadAllLines("/proc/self/cgroup"))
        {
            var parts = line.Split(':', 3);
            if (parts.Length == 3 && parts[1].Split(',').Contains(controller)) return parts[2];
        }
        return null;
    }

    /// <summary>Removes the folders of silos that are gone: their groups are empty now.</summary>
    private void RemoveOthersLeftOvers()
    {
        foreach (var ours in _bases)
            foreach (var folder in Directory.EnumerateDirectories(Path.GetDirectoryName(ours)!, "orleans-triggers-*"))
            {
                if (!int.TryParse(Path.GetFileName(folder)["orleans-triggers-".Length..], CultureInfo.InvariantCulture, out var pid)) continue;
                if (pid == Environment.ProcessId || Directory.Exists($"/proc/{pid}")) continue;
                foreach (var leaf in Directory.EnumerateDirectories(folder)) TryRemove(leaf);
                TryRemove(folder);
            }
    }

    /// <summary>A new group for one sandbox: at most <paramref name="memoryBytes"/> of memory (swap included) and
    /// <paramref name="processes"/> processes and threads (0: no limit).</summary>
    public JobCgroup Create(long memoryBytes, int processes)
    {
        RetryLeftOvers();
        var name = "sandbox-" + Interlocked.Increment(ref _next).ToString(CultureInfo.InvariantCulture);
        var folders = _bases.Select(folder => Directory.CreateDirectory(Path.Combine(folder, name)).FullName).ToArray();
        var group = new JobCgroup(this, folders, _unified);
        try
        {
            if (_unified)
            {
                if (memoryBytes > 0) Write(folders[0], "memory.max", memoryBytes);
                if (memoryBytes > 0) Write(folders[0], "memory.swap.max", 0, optional: true);
                if (processes > 0) Write(folders[0], "pids.max", processes);
            }
            else
            {
                if (memoryBytes > 0) Write(folders[0], "memory.limit_in_bytes", memoryBytes);
                // Swap counts too where the kernel accounts it: without it the limit would only move memory to swap.
                if (memoryBytes > 0) Write(folders[0], "memory.memsw.limit_in_bytes", memoryBytes, optional: true);
                if (processes > 0) Write(folders[1], "pids.max", processes);
            }
            return group;
        }
        catch
        {
            group.Dispose();
            throw;
        }
    }

    private static void Write(string folder, string file, long value, bool optional = false)
    {
        var path = Path.Combine(folder, file);
        if (optional && !File.Exists(path)) return;
        File.WriteAllText(path, value.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>A group is removed once its processes are gone, which after a kill can take a moment: a group not yet
    /// empty is tried again later.</summary>
    internal void Remove(JobCgroup group)
    {
        if (!group.Folders.All(TryRemove)) lock (_leftOver) _leftOver.Add(group);
    }

    private void RetryLeftOvers()
    {
        List<JobCgroup> groups;
        lock (_leftOver)
        {
            groups = [.. _leftOver];
            _leftOver.Clear();
        }
        foreach (var group in groups) Remove(group);
    }

    private static bool TryRemove(string folder)
    {
        try
        {
            if (Directory.Exists(folder)) Directory.Delete(folder);
            return true;
        }
        catch (IOException)
        {
            return false;
        }
    }
}

/// <summary>One sandbox's control group: its processes enter it before anything else runs (<see cref="Enter"/>), and
/// the kernel stops one of them when together they go over its memory limit (<see cref="OutOfMemoryKills"/> counts).</summary>
internal sealed class JobCgroup(JobCgroups groups, string[] folders, bool unified) : IDisposable
{
    internal string[] Folders { get; } = folders;

    /// <summary>Arguments that start a command in this group: a shell writes its own pid into each hierarchy's
    /// <c>cgroup.procs</c> and then becomes the command, so even the command's first child is counted.</summary>
    public IEnumerable<string> Enter(string shell) =>
    [
        shell, "-c", "while [ \"$1\" != -- ]; do echo $$ > \"$1\" || exit 126; shift; done; shift; exec \"$@\"", "enter-cgroup",
        .. Folders.Select(folder => Path.Combine(folder, "cgroup.procs")), "--",
    ];

    /// <summary>How many times the kernel has killed a process here for going over the memory limit.</summary>
    public long OutOfMemoryKills
    {
        get
        {
            try
            {
                var file = Path.Combine(Folders[0], unified ? "memory.events" : "memory.oom_control");
                var line = File.ReadLines(file).FirstOrDefault(line => line.StartsWith("oom_kill ", StringComparison.Ordinal));
                return line is null ? 0 : long.Parse(line["oom_kill ".Length..], CultureInfo.InvariantCulture);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return 0;
            }
        }
    }

    public void Dispose() => groups.Remove(this);
}
