namespace Triggers.Runtimes.Sandbox;

/// <summary>
/// Idle <see cref="JobLauncher"/>s, keyed by what their sandbox holds (the interpreter and the read-only folders, such
/// as an installed dependency set, and their versions): a worker slot takes one with its job's key, or starts one, and
/// hands it back after the job. Nothing of a job stays in a launcher, so any job with the same key may have it next.
/// </summary>
internal sealed class JobLaunchers(Func<string, string, IReadOnlyList<string>, JobLauncher> start) : IDisposable
{
    // Each idle launcher is a sandbox with two small processes; beyond this the least recently used make way.
    private const int MaxIdle = 32;

    private readonly Lock _gate = new();
    private readonly List<JobLauncher> _idle = []; // least recently used first
    private bool _disposed;

    public JobLauncher Rent(string executable, IReadOnlyList<string> readOnlyPaths)
    {
        // The sandbox binds the interpreter's file itself, so its version is that file's, not a link's.
        var paths = readOnlyPaths.Prepend(JobSandbox.RealPath(executable)).ToList();
        var key = string.Join('\n', paths.Select(Version));
        JobLauncher? launcher = null;
        List<JobLauncher> retired;
        lock (_gate)
        {
            // Dead ones, and those that hold an older version of these files (which they keep on disk while they live).
            retired = _idle.Where(l => !l.IsAlive || (l.Key != key && PathsOf(l.Key).SequenceEqual(paths))).ToList();
            _idle.RemoveAll(retired.Contains);
            var reuse = _idle.FindLastIndex(l => l.Key == key);
            if (reuse >= 0)
            {
                launcher = _idle[reuse];
                _idle.RemoveAt(reuse);
            }
        }
        retired.ForEach(l => l.Dispose());
        return launcher ?? start(key, executable, readOnlyPaths);
    }

    /// <summary>A path and when its file or folder was made and last changed: a sandbox holds what it bound when it
    /// started, so a dependency set installed again or an interpreter upgraded at the same path needs a new one.</summary>
    private static string Version(string path) =>
        $"{path}@{File.GetCreationTimeUtc(path).Ticks}:{File.GetLastWriteTimeUtc(path).Ticks}";

    private static IEnumerable<string> PathsOf(string key) => key.Split('\n').Select(version => version[..version.LastIndexOf('@')]);

    public void Return(JobLauncher launcher)
    {
        JobLauncher? evicted = null;
        lock (_gate)
        {
            if (launcher.IsAlive && !_disposed)
            {
                _idle.Add(launcher);
                launcher = null!;
                if (_idle.Count > MaxIdle)
                {
                    evicted = _idle[0];
                    _idle.RemoveAt(0);
                }
            }
        }
        launcher?.Dispose();
        evicted?.Dispose();
    }

    public void Dispose()
    {
        List<JobLauncher> idle;
        lock (_gate)
        {
            _disposed = true;
            idle = [.. _idle];
            _idle.Clear();
        }
        idle.ForEach(l => l.Dispose());
    }
}
