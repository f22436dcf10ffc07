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
/// What a script's packages cost: the first resolution and install of a Bun script importing lodash (npm's registry),
/// and then the finish rate of its jobs (process per job, the set already installed) against the same script
/// without the import, in the same run (PostgreSQL mode, 2 slots); and the same import in a dedicated worker.
/// </summary>
internal sealed class DependencyBenchmark(string postgres, string bun, int jobs = 400)
{
    private const string Plain = "export async function main(payload: string) { return payload.length; }";
    private const string WithLodash = "import _ from \"lodash\";\nexport async function main(payload: string) { return _.size(payload); }";

    public async Task RunAsync()
    {
        var database = await BenchSilo.CreateDatabaseAsync(postgres);
        await using var silo = await BenchSilo.StartAsync(database, workers: 2, bun);
        await silo.Grains.GetGrain<IWorkspaceGrain>("deps").CreateAsync("deps");
        await using var db = NpgsqlDataSource.Create(database);

        var resolve = Stopwatch.StartNew();
        var lodash = silo.Grains.GetGrain<IScriptGrain>(Names.ItemKey("deps", "u/bench/lodash"));
        await lodash.CreateAsync(new Script { Language = ScriptLanguage.Bun, Content = WithLodash });
        while ((await lodash.GetAsync())!.Lock is null)
        {
            if (resolve.Elapsed > TimeSpan.FromMinutes(5)) throw new TimeoutException("lodash was not resolved within 5 minutes: is npm's registry reachable?");
            await Task.Delay(50);
        }
        var resolveSeconds = resolve.Elapsed.TotalSeconds;
        await silo.Grains.GetGrain<IScriptGrain>(Names.ItemKey("deps", "u/bench/plain")).CreateAsync(new Script { Language = ScriptLanguage.Bun, Content = Plain });
        var dedicated = silo.Grains.GetGrain<IScriptGrain>(Names.ItemKey("deps", "u/bench/lodash_dedicated"));
        await dedicated.CreateAsync(new Script { Language = ScriptLanguage.Bun, Content = WithLodash, DedicatedWorker = true });
        while ((await dedicated.GetAsync())!.Lock is null) await Task.Delay(50);

        await FinishAsync(silo, db, "u/bench/plain", 50); // warm-up: JIT and the first processes
        var plain = await FinishAsync(silo, db, "u/bench/plain", jobs);
        var withLodash = await FinishAsync(silo, db, "u/bench/lodash", jobs);
        var withLodashDedicated = await FinishAsync(silo, db, "u/bench/lodash_dedicated", jobs * 5);

        Console.WriteLine("## Dependencies: a Bun script importing lodash (process per job, PostgreSQL mode, 2 slots)");
        Console.WriteLine();
        Console.WriteLine($"First resolution and install of lodash (dependencies job, npm registry): {resolveSeconds:0.0} s");
        Console.WriteLine();
        Console.WriteLine("| script | jobs/s | ratio to no import |");
        Console.WriteLine("|---|---:|---:|");
        Console.WriteLine($"| no import | {plain:0} | 1.00 |");
        Console.WriteLine($"| imports lodash (installed set, linked) | {withLodash:0} | {withLodash / plain:0.00} |");
        Console.WriteLine($"| imports lodash, dedicated worker (loaded once per process) | {withLodashDedicated:0} | {withLodashDedicated / plain:0.00} |");
    }

    /// <summary>Queues the jobs at once and returns how many finished per second.</summary>
    private static async Task<double> FinishAsync(BenchSilo silo, NpgsqlDataSource db, string script, int count)
    {
        var batch = Guid.NewGuid().ToString("N");
        var queued = Enumerable.Range(0, count).Select(i => new JobRecord
        {
            Id = Guid.NewGuid(), WorkspaceId = "deps", ScriptPath = script, ArgsJson = $$"""{"payload": "{{batch}} {{i}}"}""", CreatedAt = DateTimeOffset.UtcNow,
        }).ToList();
        var clock = Stopwatch.StartNew();
        await silo.Services.GetRequiredService<IJobStore>().EnqueueAsync(queued);
        await using var finished = db.CreateCommand("SELECT count(*) FROM jobs WHERE id = ANY(@ids) AND status IN ('success', 'failure')");
        finished.Parameters.AddWithValue("ids", queued.Select(j => j.Id).ToArray());
        while ((long)(await finished.ExecuteScalarAsync())! < count)
        {
            if (clock.Elapsed > TimeSpan.FromMinutes(5)) throw new TimeoutException($"{script}: jobs did not finish within 5 minutes.");
            await Task.Delay(50);
        }
        await using var failed = db.CreateCommand("SELECT count(*) FROM jobs WHERE id = ANY(@ids) AND status <> 'success'");
        failed.Parameters.AddWithValue("ids", queued.Select(j => j.Id).ToArray());
        if ((long)(await failed.ExecuteScalarAsync())! > 0) throw new InvalidOperationException($"{script}: some jobs failed.");
        return count / clock.Elapsed.TotalSeconds;
    }
}
