namespace Triggers.Runtimes.Sandbox;

/// <summary>
/// Idle long-lived sandboxed processes, keyed by what they hold: a worker slot takes one with its job's key, or starts
/// one, and hands it back after the job. Keys name a thing and its version (<paramref name="identityOf"/> gives the
/// thing): taking a key stops the idle processes of the same thing's other versions, which would never be used again.
/// Dead processes are dropped, and beyond <paramref name="capacity"/> (busy ones included) the least recently used idle
/// ones make way. Used for dedicated workers' processes and for worker slots' job launchers.
/// </summary>
internal sealed class WarmPool<T>(int capacity, Func<string, string> identityOf) : IDisposable where T : SandboxedProcess
{
    private readonly Lock _gate = new();
    private readonly List<(string Key, T Process)> _idle = []; // least recently used first
    private int _busy;
    private bool _disposed;

    /// <summary>An idle process of <paramref name="key"/>, or a new one from <paramref name="start"/>; hand it back with
    /// <see cref="Return"/>.</summary>
    public T Rent(string key, Func<T> start)
    {
        var retired = new List<T>();
        var identity = identityOf(key);
        T? warm = null;
        lock (_gate)
        {
            _busy++;
            foreach (var entry in _idle.Where(e => !e.Process.IsAlive || (e.Key != key && identityOf(e.Key) == identity)).ToList())
            {
                _idle.Remove(entry);
                retired.Add(entry.Process);
            }
            var reuse = _idle.FindLastIndex(e => e.Key == key);
            if (reuse >= 0)
            {
                warm = _idle[reuse].Process;
                _idle.RemoveAt(reuse);
            }
            while (warm is null && _idle.Count > 0 && _idle.Count + _busy > capacity)
            {
                retired.Add(_idle[0].Process);
                _idle.RemoveAt(0);
            }
        }
        retired.ForEach(p => p.Dispose());
        if (warm is not null) return warm;
        try { return start(); }
        catch
        {
            lock (_gate) _busy--;
            throw;
        }
    }

    /// <summary>Hands a process back: kept for the next job of <paramref name="key"/> while it lives and
    /// <paramref name="reusable"/>, stopped otherwise.</summary>
    public void Return(string key, T process, bool reusable = true)
    {
        bool keep;
        lock (_gate)
        {
            _busy--;
            keep = reusable && process.IsAlive && !_disposed;
            if (keep) _idle.Add((key, process));
        }
        if (!keep) process.Dispose();
    }

    public void Dispose()
    {
        List<T> idle;
        lock (_gate)
        {
            _disposed = true;
            idle = [.. _idle.Select(e => e.Process)];
            _idle.Clear();
        }
        idle.ForEach(p => p.Dispose());
    }
}
