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
/// How fast queued jobs of a trivial script finish (PostgreSQL mode, 2 worker slots, process per job), against the
/// same run's process-spawn limit: the interpreter started on the same trivial script in a loop on two lanes.
/// </summary>
internal sealed class FinishRateBenchmark(string postgres, string bun, int jobs)
{
    private const int Lanes = 2;

    public async Task RunAsync()
    {
        Console.WriteLine($"## Finish rate: {jobs} queued jobs of a trivial script, PostgreSQL mode, {Lanes} worker slots, process per job");
        Console.WriteLine();
        Console.WriteLine("| language | ours (jobs/s) | spawn loop, 2 lanes (runs/s) | ours / spawn loop | silo CPU per job (ms) |");
        Console.WriteLine("|---|---:|---:|---:|---:|");
        await RunOnceAsync(ScriptLanguage.Bun, "export async function main(payload: string) { return payload.length; }",
            "script.ts", "export function main(payload: string) { return payload.length; }\nmain('x');\n", bun, ["--no-install", "run"]);
        await RunOnceAsync(ScriptLanguage.Python3, "def main(payload: str):\n    return len(payload)\n",
            "script.py", "def main(payload):\n    return len(payload)\nmain('x')\n", "/usr/bin/python3", ["-I"]);
        // bash starts in about a millisecond, so its row shows what the job pipeline itself costs.
        await RunOnceAsync(ScriptLanguage.Bash, "payload=\"$1\"\necho \"${#payload}\"\n",
            "script.sh", "payload=\"$1\"\necho \"${#payload}\"\n", "/bin/bash", []);
    }

    private async Task RunOnceAsync(ScriptLanguage language, string script, string spawnFile, string spawnScript, string interpreter, string[] interpreterArgs)
    {
        var spawnRate = await SpawnLoopAsync(spawnFile, spawnScript, interpreter, interpreterArgs);

        var database = await BenchSilo.CreateDatabaseAsync(postgres);
        await using var silo = await BenchSilo.StartAsync(database, workers: Lanes, bun);
        await silo.Grains.GetGrain<IWorkspaceGrain>("fin").CreateAsync("fin");
        await silo.Grains.GetGrain<IScriptGrain>(Names.ItemKey("fin", "u/bench/trivial")).CreateAsync(new Script { Language = language, Content = script });
        var now = DateTimeOffset.UtcNow;
        var queued = Enumerable.Range(0, jobs).Select(i => new JobRecord
        {
            Id = Guid.NewGuid(), WorkspaceId = "fin", ScriptPath = "u/bench/trivial", ArgsJson = $$"""{"payload": "message {{i}}"}""", CreatedAt = now,
        }).ToList();

        await using var db = NpgsqlDataSource.Create(database);
        var clock = Stopwatch.StartNew();
        // The silo runs in this process: its CPU time (job processes excluded) is what the pipeline costs per job.
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        await silo.Services.GetRequiredService<IJobStore>().EnqueueAsync(queued);
        long finished;
        var deadline = TimeSpan.FromMinutes(5);
        while ((finished = await ScalarAsync(db, "SELECT count(*) FROM jobs WHERE status IN ('success', 'failure')")) < jobs && clock.Elapsed < deadline)
            await Task.Delay(20);
        var ours = finished / clock.Elapsed.TotalSeconds;
        var cpuPerJob = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMilliseconds / Math.Max(1, finished);
        var failed = await ScalarAsync(db, "SELECT count(*) FROM jobs WHERE status <> 'success'");
        if (failed > 0) Console.WriteLine($"<!-- {failed} of {jobs} {language} jobs did not succeed -->");
        Console.WriteLine($"| {language.ToString().ToLowerInvariant()} | {ours:0} | {spawnRate:0} | {ours / spawnRate:0.00} | {cpuPerJob:0.0} |");
    }

    /// <summary>Runs the interpreter on the script <paramref name="jobs"/> times, on two lanes at once.</summary>
    private async Task<double> SpawnLoopAsync(string file, string script, string interpreter, string[] interpreterArgs)
    {
        var directory = Directory.CreateTempSubdirectory("bench-spawn-");
        try
        {
            var path = Path.Combine(directory.FullName, file);
            await File.WriteAllTextAsync(path, script);
            var clock = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, Lanes).Select(_ => Task.Run(async () =>
            {
                for (var i = 0; i < jobs / Lanes; i++)
                {
                    using var process = Process.Start(new ProcessStartInfo(interpreter, [.. interpreterArgs, path]) { RedirectStandardOutput = true })!;
                    await process.StandardOutput.ReadToEndAsync();
                    await process.WaitForExitAsync();
                }
            })));
            return jobs / Lanes * Lanes / clock.Elapsed.TotalSeconds;
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
