using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace Triggers.Runtimes;

/// <summary>
/// One language's dedicated workers: warm processes keyed by script version (<see cref="ScriptRun.DedicatedKey"/>),
/// each running one job at a time, so a worker slot reuses one while it runs that version. A process that crashed,
/// hung past the job's time limit or outgrew its memory limit fails only the job in flight and is replaced by the
/// next job; a new version of a script replaces the old version's idle processes.
/// </summary>
internal sealed class DedicatedWorkers(Func<ScriptRun, string, WarmProcess> start, RuntimeOptions options) : IDisposable
{
    private readonly Lock _gate = new();
    private readonly List<(string Key, WarmProcess Process)> _idle = []; // least recently used first
    private int _busy;

    public async Task<ScriptOutcome> RunAsync(ScriptRun run, JsonObject knownMainArgs, CancellationToken ct)
    {
        var key = run.DedicatedKey ?? throw new ArgumentException("The run names no dedicated worker.", nameof(run));
        var process = Rent(run, key);
        WarmRun result;
        try
        {
            result = await process.RunAsync(WrapperProtocol.InputJson(run), run.Timeout, options.DedicatedMaxMemoryMb * (1L << 20), ct);
        }
        catch
        {
            Release(key, process, keep: false);
            throw;
        }
        Release(key, process, keep: process.IsAlive);

        if (result.Answer is { } answer) return WrapperProtocol.ParseResult(answer, result.Logs, knownMainArgs);
        var error = result switch
        {
            { TimedOut: true } => JobFailures.Timeout(run.Timeout),
            { OverMemory: true } => JobFailures.DedicatedWorkerOverMemory(options.DedicatedMaxMemoryMb),
            _ => JobFailures.DedicatedWorkerExited(result.ExitCode, result.Logs),
        };
        return ScriptOutcome.Failure(error, knownMainArgs, result.Logs);
    }

    /// <summary>The key of one script version: its workspace and path, and a hash of its language, source, lock and the
    /// workspace scripts it imports (a new version of one of those starts new processes too).</summary>
    public static string Key(string workspaceId, string path, Scripts.Script script, IReadOnlyDictionary<string, string>? modules = null)
    {
        var version = new System.Text.StringBuilder($"{script.Language}\n{script.Content}\n{script.Lock}");
        foreach (var (module, content) in (modules ?? new Dictionary<string, string>()).OrderBy(m => m.Key, StringComparer.Ordinal))
            version.Append($"\n{module}\n{content.Length}\n{content}");
        return $"{workspaceId}\n{path}\n{Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(version.ToString())))}";
    }

    private static string ScriptOf(string key) => key[..key.LastIndexOf('\n')];

    private WarmProcess Rent(ScriptRun run, string key)
    {
        var retired = new List<WarmProcess>();
        WarmProcess? warm = null;
        lock (_gate)
        {
            _busy++;
            // Dead processes, and idle ones of an older version of this script, are done.
            foreach (var entry in _idle.Where(e => !e.Process.IsAlive || (e.Key != key && ScriptOf(e.Key) == ScriptOf(key))).ToList())
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
            // Room for a new process: the least recently used idle ones of other scripts make way.
            while (warm is null && _idle.Count > 0 && _idle.Count + _busy > options.DedicatedMaxProcesses)
            {
                retired.Add(_idle[0].Process);
                _idle.RemoveAt(0);
            }
        }
        retired.ForEach(p => p.Dispose());
        return warm ?? StartOrRelease(run, key);
    }

    private WarmProcess StartOrRelease(ScriptRun run, string key)
    {
        try { return start(run, NewMarker()); }
        catch
        {
            lock (_gate) _busy--;
            throw;
        }
    }

    private void Release(string key, WarmProcess process, bool keep)
    {
        lock (_gate)
        {
            _busy--;
            if (keep) _idle.Add((key, process));
        }
        if (!keep) process.Dispose();
    }

    /// <summary>A line prefix no script prints by chance: an ASCII record separator and a random nonce.</summary>
    private static string NewMarker() => $"\u001e{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}:";

    public void Dispose()
    {
        List<WarmProcess> idle;
        lock (_gate)
        {
            idle = _idle.Select(e => e.Process).ToList();
            _idle.Clear();
        }
        idle.ForEach(p => p.Dispose());
    }
}
