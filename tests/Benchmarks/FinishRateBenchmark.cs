using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Triggers.Jobs;
using Triggers.Jobs.Store;
using Triggers.Scripts;
using Triggers.Validation;
using Triggers.Workspaces;

namespace Triggers.Benchmarks;

/// <summary>
/// How fast queued jobs of a trivial script finish (PostgreSQL mode, 2 worker slots by default), process per job against the
/// same run's process-spawn limit (the interpreter started on the same trivial script in a loop, one lane per slot), and in
/// dedicated workers.
/// </summary>
/// <param name="rows">Which rows to measure (<c>bun</c>, <c>python3</c>, <c>bash</c>, <c>bun-dedicated</c>,
/// <c>python3-dedicated</c>); empty for all.</param>
internal sealed class FinishRateBenchmark(string postgres, string bun, int jobs, int slots = 2, IReadOnlySet<string>? rows = null)
{
    private const int WarmUpJobs = 200;
    private const int SettledJitMethods = 20;
    private static readonly TimeSpan MinWarmUp = TimeSpan.FromSeconds(25);
    private static readonly TimeSpan MaxWarmUp = TimeSpan.FromMinutes(2);
    private const int DedicatedFactor = 10; // dedicated jobs are fast: more of them, for a run long enough to measure

    public async Task RunAsync()
    {
        Console.WriteLine($"## Finish rate: {jobs} queued jobs of a trivial script (after rounds of {WarmUpJobs} until the JIT settles), PostgreSQL mode, {slots} worker slots");
        Console.WriteLine();
        Console.WriteLine($"| language | ours (jobs/s) | spawn loop, {slots} lanes (runs/s) | ours / spawn loop | silo CPU per job (ms) | machine CPU per job (ms) |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|");
        await RunOnceAsync(ScriptLanguage.Bun, "export async function main(payload: string) { return payload.length; }",
            "script.ts", "export function main(payload: string) { return payload.length; }\nmain('x');\n", bun, ["--no-install", "run"]);
        await RunOnceAsync(ScriptLanguage.Python3, "def main(payload: str):\n    return len(payload)\n",
            "script.py", "def main(payload):\n    return len(payload)\nmain('x')\n", "/usr/bin/python3", ["-I"]);
        // Dedicated workers: the same scripts in warm processes, so the job pipeline is nearly all that is left.
        await RunOnceAsync(ScriptLanguage.Bun, "export async function main(payload: string) { return payload.length; }",
            "script.ts", "export function main(payload: string) { return payload.length; }\nmain('x');\n", bun, ["--no-install", "run"], dedicated: true);
        await RunOnceAsync(ScriptLanguage.Python3, "def main(payload: str):\n    return len(payload)\n",
            "script.py", "def main(payload):\n    return len(payload)\nmain('x')\n", "/usr/bin/python3", ["-I"], dedicated: true);
        // bash starts in about a millisecond, so its row shows what the job pipeline itself costs.
        await RunOnceAsync(ScriptLanguage.Bash, "payload=\"$1\"\necho \"${#payload}\"\n",
            "script.sh", "payload=\"$1\"\necho \"${#payload}\"\n", "/bin/bash", []);
    }

    private async Task RunOnceAsync(
        ScriptLanguage language, string script, string spawnFile, string spawnScript, string interpreter, string[] interpreterArgs, bool dedicated = false)
    {
        var row = $"{language.ToString().ToLowerInvariant()}{(dedicated ? "-dedicated" : "")}";
        if (rows is { Count: > 0 } && !rows.Contains(row)) return;
        var spawnRate = await SpawnLoopAsync(spawnFile, spawnScript, interpreter, interpreterArgs);

        var database = await BenchSilo.CreateDatabaseAsync(postgres);
        await using var silo = await BenchSilo.StartAsync(database, workers: slots, bun);
        await silo.Grains.GetGrain<IWorkspaceGrain>("fin").CreateAsync("fin");
        await silo.Grains.GetGrain<IScriptGrain>(Names.ItemKey("fin", "u/bench/trivial")).CreateAsync(new Script { Language = language, Content = script, DedicatedWorker = dedicated });
        await using var db = NpgsqlDataSource.Create(database);
        // A new silo spends its first half minute of work compiling (tiered JIT), which a long-running one has long
        // done: the measured round is the steady state.
        var warmedUp = await WarmUpAsync(silo, db);
        var machineBusy = Machine.BusyTime();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime; // the silo runs in this process; job processes excluded
        var clock = Stopwatch.StartNew();
        var measured = dedicated ? jobs * DedicatedFactor : jobs;
        var finished = await FinishAsync(silo, db, measured) - warmedUp;
        var ours = finished / clock.Elapsed.TotalSeconds;
        var cpuPerJob = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMilliseconds / Math.Max(1, finished);
        var machinePerJob = (Machine.BusyTime() - machineBusy).TotalMilliseconds / Math.Max(1, finished);
        var failed = await ScalarAsync(db, "SELECT count(*) FROM jobs WHERE status <> 'success'");
        if (failed > 0) Console.WriteLine($"<!-- {failed} of {warmedUp + measured} {language} jobs did not succeed -->");
        Console.WriteLine($"| {language.ToString().ToLowerInvariant()}{(dedicated ? $" dedicated, {measured} jobs" : "")} | {ours:0} | {spawnRate:0} | {ours / spawnRate:0.00} | {cpuPerJob:0.00} | {machinePerJob:0.00} |");
    }

    /// <summary>
    /// Runs rounds of jobs until the JIT has settled (a round compiles almost no new method): tiered compilation keeps
    /// recompiling hot code with profile data for many seconds after a silo starts, which a long-running silo has long
    /// done. Returns the jobs finished.
    /// </summary>
    private static async Task<long> WarmUpAsync(BenchSilo silo, NpgsqlDataSource db)
    {
        long finished = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < MaxWarmUp)
        {
            var compiled = System.Runtime.JitInfo.GetCompiledMethodCount();
            finished = await FinishAsync(silo, db, WarmUpJobs);
            if (System.Runtime.JitInfo.GetCompiledMethodCount() - compiled < SettledJitMethods && clock.Elapsed > MinWarmUp) break;
        }
        return finished;
    }

    /// <summary>Queues <paramref name="count"/> jobs at once and waits until they are finished; returns all finished jobs so far.</summary>
    private static async Task<long> FinishAsync(BenchSilo silo, NpgsqlDataSource db, int count)
    {
        var now = DateTimeOffset.UtcNow;
        var queued = Enumerable.Range(0, count).Select(i => new JobRecord
        {
            Id = Guid.NewGuid(), WorkspaceId = "fin", ScriptPath = "u/bench/trivial", ArgsJson = $$"""{"payload": "message {{i}}"}""", CreatedAt = now,
        }).ToList();
        await silo.Services.GetRequiredService<IJobStore>().EnqueueAsync(queued);
        // Counted through the small index of unfinished jobs: counting finished ones would scan the growing table
        // 20 times a second, a cost the benchmark would add to what it measures.
        var deadline = Stopwatch.StartNew();
        while (await ScalarAsync(db, "SELECT count(*) FROM jobs WHERE status IN ('queued', 'running')") > 0 && deadline.Elapsed < TimeSpan.FromMinutes(5))
            await Task.Delay(50);
        return await ScalarAsync(db, "SELECT count(*) FROM jobs WHERE status IN ('success', 'failure')");
    }

    /// <summary>Runs the interpreter on the script <paramref name="jobs"/> times, on as many lanes as there are slots.</summary>
    private async Task<double> SpawnLoopAsync(string file, string script, string interpreter, string[] interpreterArgs)
    {
        var directory = Directory.CreateTempSubdirectory("bench-spawn-");
        try
        {
            var path = Path.Combine(directory.FullName, file);
            await File.WriteAllTextAsync(path, script);
            var clock = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, slots).Select(_ => Task.Run(async () =>
            {
                for (var i = 0; i < jobs / slots; i++)
                {
                    using var process = Process.Start(new ProcessStartInfo(interpreter, [.. interpreterArgs, path]) { RedirectStandardOutput = true })!;
                    await process.StandardOutput.ReadToEndAsync();
                    await process.WaitForExitAsync();
                }
            })));
            return jobs / slots * slots / clock.Elapsed.TotalSeconds;
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    private static async Task<long> ScalarAsync(NpgsqlDataSource db, string sql)
    {
        await using var cmd = db.CreateCommand(sql);
        return (long)(await cmd.ExecuteScalarAsync())!;
    }
}
