using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Triggers.Runtimes.Sandbox;

namespace Triggers.Runtimes;

/// <summary>
/// One language's dedicated workers: warm processes keyed by script version (<see cref="ScriptRun.DedicatedKey"/>),
/// each running one job at a time, so a worker slot reuses one while it runs that version. A process that crashed,
/// hung past the job's time limit or outgrew its memory limit fails only the job in flight and is replaced by the
/// next job; a new version of a script replaces the old version's idle processes.
/// </summary>
internal sealed class DedicatedWorkers(Func<ScriptRun, string, WarmProcess> start, RuntimeOptions options) : IDisposable
{
    // A script's processes are those of its workspace and path: a new version of it stops the old version's idle ones.
    private readonly WarmPool<WarmProcess> _processes = new(options.DedicatedMaxProcesses, ScriptOf);

    public async Task<ScriptOutcome> RunAsync(ScriptRun run, JsonObject knownMainArgs, CancellationToken ct)
    {
        var key = run.DedicatedKey ?? throw new ArgumentException("The run names no dedicated worker.", nameof(run));
        var process = _processes.Rent(key, () => start(run, NewMarker()));
        WarmRun result;
        try
        {
            result = await process.RunAsync(WrapperProtocol.InputJson(run), run.Timeout, options.DedicatedMaxMemoryMb * (1L << 20), ct);
        }
        catch
        {
            _processes.Return(key, process, reusable: false);
            throw;
        }
        _processes.Return(key, process);

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

    /// <summary>A line prefix no script prints by chance: an ASCII record separator and a random nonce.</summary>
    private static string NewMarker() => $"\u001e{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}:";

    public void Dispose() => _processes.Dispose();
}
