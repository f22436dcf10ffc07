using System.Diagnostics;
using Confluent.Kafka;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using Triggers.Jobs;
using Triggers.Jobs.Store;
using Triggers.Silo.Storage;
using Triggers.Triggers;
using Triggers.Triggers.Kafka;
using Triggers.Triggers.Kafka.Development;
using Triggers.Validation;

namespace Triggers.Benchmarks;

/// <summary>
/// What a long job history costs: ingest (trigger → queued jobs) and finish (dedicated Bun, 2 slots) rates on a
/// database already holding <c>rows</c> finished jobs, against the same on an empty database in the same run; then
/// the time retention takes to remove the half of that history older than 30 days.
/// </summary>
internal sealed class HistoryBenchmark(string postgres, string bun, long rows, int messages = 20_000, int jobs = 4_000)
{
    private const int Partitions = 4;

    public async Task RunAsync()
    {
        using var kafka = new MockKafkaCluster(brokers: 1);
        var empty = await BenchSilo.CreateDatabaseAsync(postgres);
        var filled = await BenchSilo.CreateDatabaseAsync(postgres);
        await new SchemaMigrator(filled, NullLogger<SchemaMigrator>.Instance).MigrateAsync(CancellationToken.None);
        var fillSeconds = await FillAsync(filled);
        var sizeBefore = await TableSizeAsync(filled);

        var (emptyIngest, emptyFinish) = await MeasureAsync(kafka, empty, "history-empty");
        var (filledIngest, filledFinish) = await MeasureAsync(kafka, filled, "history-filled");
        var (removed, sweepSeconds) = await SweepAsync(filled);

        Console.WriteLine($"## History: {rows:N0} finished jobs already in the table (filled in {fillSeconds:0} s, jobs table {sizeBefore / 1e9:0.0} GB)");
        Console.WriteLine();
        Console.WriteLine("| what | empty table | with the history | ratio |");
        Console.WriteLine("|---|---:|---:|---:|");
        Console.WriteLine($"| ingest: {messages:N0} messages → queued jobs (msg/s) | {emptyIngest:N0} | {filledIngest:N0} | {filledIngest / emptyIngest:0.00} |");
        Console.WriteLine($"| finish: {jobs:N0} queued jobs, dedicated Bun, 2 slots (jobs/s) | {emptyFinish:N0} | {filledFinish:N0} | {filledFinish / emptyFinish:0.00} |");
        Console.WriteLine();
        Console.WriteLine($"Retention (Jobs:RetentionDays=30): removed {removed:N0} jobs in {sweepSeconds:0.0} s ({removed / sweepSeconds:N0} rows/s, {JobRetention.ChunkSize:N0} per statement).");
    }

    /// <summary>Finished jobs completed evenly over the last 60 days, a million per statement.</summary>
    private async Task<double> FillAsync(string database)
    {
        await using var db = NpgsqlDataSource.Create(database);
        var clock = Stopwatch.StartNew();
        for (long from = 0; from < rows; from += 1_000_000)
        {
            await using var cmd = db.CreateCommand("""
                INSERT INTO jobs (id, workspace_id, script_path, event, status, result, logs, attempts, trigger_kind, trigger_path,
                                  created_at, started_at, completed_at)
                SELECT gen_random_uuid(), 'history', 'u/bench/script',
                       jsonb_build_object('kind', 'kafka', 'payload', 'eyJvcmRlcl9pZCI6IDQyLCAiYW1vdW50IjogMTB9', 'topic', 'orders', 'partition', g % 4, 'offset', g),
                       CASE WHEN g % 50 = 0 THEN 'failure' ELSE 'success' END, '42'::jsonb, 'processed order 42', 1, 'kafka', 'u/bench/trigger',
                       t, t, t + interval '20 milliseconds'
                FROM generate_series(@from, @to) AS g, LATERAL (SELECT now() - (g::float8 / @rows) * interval '60 days' AS t) AS at
                """);
            cmd.CommandTimeout = 0;
            cmd.Parameters.AddWithValue("from", from);
            cmd.Parameters.AddWithValue("rows", (double)rows);
            cmd.Parameters.AddWithValue("to", Math.Min(rows, from + 1_000_000) - 1);
            await cmd.ExecuteNonQueryAsync();
        }
        await using (var analyze = db.CreateCommand("VACUUM ANALYZE jobs")) { analyze.CommandTimeout = 0; await analyze.ExecuteNonQueryAsync(); }
        // Flush what the fill left dirty now, rather than during the measurements.
        await using (var checkpoint = db.CreateCommand("CHECKPOINT")) { checkpoint.CommandTimeout = 0; await checkpoint.ExecuteNonQueryAsync(); }
        return clock.Elapsed.TotalSeconds;
    }

    private async Task<(double Ingest, double Finish)> MeasureAsync(MockKafkaCluster kafka, string database, string topic)
    {
        kafka.CreateTopic(topic, Partitions);
        using (var producer = new ProducerBuilder<Null, string>(new ProducerConfig { BootstrapServers = kafka.BootstrapServers, LingerMs = 5 }).Build())
        {
            for (var i = 0; i < messages; i++)
                producer.Produce(new TopicPartition(topic, i % Partitions), new Message<Null, string> { Value = $$"""{"order_id": {{i}}, "amount": 10}""" });
            producer.Flush();
        }

        double ingest;
        await using (var silo = await BenchSilo.StartAsync(database, workers: 0))
        {
            await silo.DefineAsync("bench", kafka.BootstrapServers, "export async function main(payload: string) { return 1; }");
            // A trigger (so a consumer group) of its own per round: reusing one would make the mock broker wait out the
            // previous round's consumer before the group rebalances.
            var path = $"u/bench/{topic}";
            var trigger = silo.Grains.GetGrain<IKafkaTriggerGrain>(Names.ItemKey("bench", path));
            var clock = Stopwatch.StartNew();
            await silo.CreateTriggerAsync("bench", path, topic);
            while ((await trigger.GetAsync())!.Status.JobsCreated < messages) await Task.Delay(5);
            ingest = messages / clock.Elapsed.TotalSeconds;
            await trigger.SetModeAsync(TriggerMode.Disabled);
        }
        await using (var db = NpgsqlDataSource.Create(database))
        await using (var drop = db.CreateCommand("DELETE FROM jobs WHERE workspace_id = 'bench'")) // only the finish round runs
            await drop.ExecuteNonQueryAsync();

        await using (var silo = await BenchSilo.StartAsync(database, workers: 2, bun))
        {
            await silo.DefineAsync("fin", kafka.BootstrapServers, "export async function main(payload: string) { return payload.length; }", dedicated: true);
            await using var db = NpgsqlDataSource.Create(database);
            var now = DateTimeOffset.UtcNow;
            var queued = Enumerable.Range(0, jobs).Select(i => new JobRecord
            {
                Id = Guid.NewGuid(), WorkspaceId = "fin", ScriptPath = "u/bench/script", ArgsJson = $$"""{"payload": "message {{i}}"}""", CreatedAt = now,
            }).ToList();
            var clock = Stopwatch.StartNew();
            await silo.Services.GetRequiredService<IJobStore>().EnqueueAsync(queued);
            await using var finished = db.CreateCommand("SELECT count(*) FROM jobs WHERE workspace_id = 'fin' AND status IN ('success', 'failure')");
            while ((long)(await finished.ExecuteScalarAsync())! < jobs)
            {
                if (clock.Elapsed > TimeSpan.FromMinutes(5)) throw new TimeoutException("The jobs did not finish within 5 minutes.");
                await Task.Delay(50);
            }
            return (ingest, jobs / clock.Elapsed.TotalSeconds);
        }
    }

    private static async Task<(long Removed, double Seconds)> SweepAsync(string database)
    {
        await using var db = NpgsqlDataSource.Create(database);
        await using var batcher = new JobWriteBatcher(db, new JobQueueSignal(), NullLogger<JobWriteBatcher>.Instance);
        var retention = new JobRetention(new PostgresJobStore(db, batcher), Options.Create(new JobRetentionOptions()), TimeProvider.System, NullLogger<JobRetention>.Instance);
        var clock = Stopwatch.StartNew();
        var removed = await retention.SweepAsync(DateTimeOffset.UtcNow.AddDays(-30), CancellationToken.None);
        return (removed, clock.Elapsed.TotalSeconds);
    }

    private static async Task<long> TableSizeAsync(string database)
    {
        await using var db = NpgsqlDataSource.Create(database);
        await using var cmd = db.CreateCommand("SELECT pg_total_relation_size('jobs')");
        return (long)(await cmd.ExecuteScalarAsync())!;
    }
}
