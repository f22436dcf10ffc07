using System.Diagnostics;
using Confluent.Kafka;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using NpgsqlTypes;
using Triggers.Jobs;
using Triggers.Resources;
using Triggers.Silo.Storage;
using Triggers.Triggers.Kafka;
using Triggers.Triggers.Kafka.Development;
using Triggers.Validation;

namespace Triggers.Benchmarks;

/// <summary>
/// Pre-produced messages on a 4-partition topic turned into durable queued jobs by one trigger (PostgreSQL mode,
/// no workers), beside two baselines measured in the same run: a raw Confluent consumer reading the same
/// messages, and a plain batched Npgsql insert of the same job rows.
/// </summary>
internal sealed class IngestBenchmark(string postgres, string bun, int messages)
{
    private const string Topic = "ingest";
    private const int Partitions = 4;
    private const int BatchSize = 100;

    public async Task RunAsync()
    {
        using var kafka = new MockKafkaCluster(brokers: 1);
        kafka.CreateTopic(Topic, Partitions);
        var produceSeconds = await ProduceAsync(kafka.BootstrapServers);
        var (consumed, rawSeconds) = ConsumeRaw(kafka.BootstrapServers);
        var insertSeconds = await InsertPlainAsync(kafka.BootstrapServers, consumed);
        var (oursSeconds, oursSteadySeconds) = await IngestWithTriggerAsync(kafka.BootstrapServers);
        var batchesSeconds = await FinishInBatchesAsync(kafka.BootstrapServers);

        Console.WriteLine($"## Ingest: {messages:N0} pre-produced messages (~100 B), {Partitions} partitions, PostgreSQL mode, 0 workers");
        Console.WriteLine($"(produced in {produceSeconds:0.00} s)");
        Console.WriteLine();
        Console.WriteLine("| what | seconds | messages/s | ratio to ours |");
        Console.WriteLine("|---|---:|---:|---:|");
        Row("ours: trigger → durable queued jobs (incl. group join)", oursSeconds, oursSeconds);
        Row("ours: same, first to last job stored (steady state)", oursSteadySeconds, oursSeconds);
        Row("baseline: raw Confluent consumer, same messages", rawSeconds, oursSeconds);
        Row("baseline: plain batched Npgsql insert of the same job rows", insertSeconds, oursSeconds);
        Row($"ours: trigger → batch jobs (batch_size {BatchSize}, dedicated Bun, 2 slots) finished", batchesSeconds, oursSeconds);
        Console.WriteLine();
        Console.WriteLine($"ours / plain insert = {insertSeconds / oursSeconds:0.00}; ours / raw consumer = {rawSeconds / oursSeconds:0.00}; " +
                          $"messages finished in batches / ours ingest = {oursSeconds / batchesSeconds:0.00}");
    }

    private void Row(string what, double seconds, double ours) =>
        Console.WriteLine($"| {what} | {seconds:0.000} | {messages / seconds:N0} | {ours / seconds:0.00} |");

    private async Task<double> ProduceAsync(string bootstrap)
    {
        var stopwatch = Stopwatch.StartNew();
        using var producer = new ProducerBuilder<Null, string>(new ProducerConfig { BootstrapServers = bootstrap, LingerMs = 5, BatchNumMessages = 10_000 }).Build();
        for (var i = 0; i < messages; i++)
            producer.Produce(new TopicPartition(Topic, i % Partitions),
                new Message<Null, string> { Value = $$"""{"order_id": {{i}}, "customer": "c-{{i % 977}}", "amount": {{i % 1000}}.25, "note": "benchmark"}""" });
        producer.Flush();
        return stopwatch.Elapsed.TotalSeconds;
    }

    private (List<ConsumeResult<byte[]?, byte[]?>> Consumed, double Seconds) ConsumeRaw(string bootstrap)
    {
        var consumed = new List<ConsumeResult<byte[]?, byte[]?>>(messages);
        using var consumer = new ConsumerBuilder<byte[]?, byte[]?>(new ConsumerConfig
        {
            BootstrapServers = bootstrap, GroupId = "raw-baseline", AutoOffsetReset = Confluent.Kafka.AutoOffsetReset.Earliest, EnableAutoCommit = false,
        }).Build();
        var stopwatch = Stopwatch.StartNew();
        consumer.Subscribe(Topic);
        while (consumed.Count < messages)
            if (consumer.Consume(TimeSpan.FromSeconds(1)) is { IsPartitionEOF: false } message) consumed.Add(message);
        consumer.Commit();
        var seconds = stopwatch.Elapsed.TotalSeconds;
        consumer.Close();
        return (consumed, seconds);
    }

    private async Task<double> InsertPlainAsync(string bootstrap, List<ConsumeResult<byte[]?, byte[]?>> consumed)
    {
        var database = await BenchSilo.CreateDatabaseAsync(postgres);
        await new SchemaMigrator(database, NullLogger<SchemaMigrator>.Instance).MigrateAsync(CancellationToken.None);
        var factory = new KafkaJobFactory(new KafkaListenerSettings("bench", "u/bench/trigger", "u/bench/script", false, "g",
            [Topic], new KafkaConnection { Brokers = [bootstrap] }, global::Triggers.Triggers.Kafka.AutoOffsetReset.Earliest));
        var now = DateTimeOffset.UtcNow;
        var rows = consumed.Select(m => factory.Create([m], now)).ToList();

        await using var db = NpgsqlDataSource.Create(database);
        var stopwatch = Stopwatch.StartNew();
        foreach (var batch in rows.Chunk(5_000))
        {
            await using var cmd = db.CreateCommand("""
                INSERT INTO jobs (id, workspace_id, script_path, is_flow, event, status, trigger_kind, trigger_path, created_at)
                SELECT id, ws, script, false, e::jsonb, 'queued', 'kafka', trig, created
                FROM unnest(@ids, @ws, @scripts, @events, @triggers, @created) AS t(id, ws, script, e, trig, created)
                """);
            cmd.Parameters.AddWithValue("ids", batch.Select(r => r.Id).ToArray());
            cmd.Parameters.AddWithValue("ws", batch.Select(r => r.WorkspaceId).ToArray());
            cmd.Parameters.AddWithValue("scripts", batch.Select(r => r.ScriptPath).ToArray());
            cmd.Parameters.AddWithValue("events", NpgsqlDbType.Array | NpgsqlDbType.Text, batch.Select(r => r.EventJson).ToArray());
            cmd.Parameters.AddWithValue("triggers", batch.Select(r => r.TriggerPath!).ToArray());
            cmd.Parameters.AddWithValue("created", batch.Select(r => r.CreatedAt).ToArray());
            await cmd.ExecuteNonQueryAsync();
        }
        return stopwatch.Elapsed.TotalSeconds;
    }

    private async Task<(double Total, double Steady)> IngestWithTriggerAsync(string bootstrap)
    {
        var database = await BenchSilo.CreateDatabaseAsync(postgres);
        await using var silo = await BenchSilo.StartAsync(database, workers: 0);
        await silo.DefineAsync("bench", bootstrap, "export async function main(payload: string) { return payload.length; }");
        await using var db = NpgsqlDataSource.Create(database);

        // Completion is read from the trigger's own counter (in process): polling count(*) would load the
        // database the ingest is writing to.
        var trigger = silo.Grains.GetGrain<IKafkaTriggerGrain>(Names.ItemKey("bench", "u/bench/trigger"));
        var stopwatch = Stopwatch.StartNew();
        await silo.CreateTriggerAsync("bench", "u/bench/trigger", Topic);
        while ((await trigger.GetAsync())!.Status.JobsCreated < messages) await Task.Delay(5);
        var total = stopwatch.Elapsed.TotalSeconds;
        if (await CountAsync(db) != messages) throw new InvalidOperationException("The trigger reported more jobs than the database holds.");

        await using var span = db.CreateCommand("SELECT EXTRACT(EPOCH FROM max(created_at) - min(created_at))::float8 FROM jobs");
        var steady = (double)(await span.ExecuteScalarAsync())!;
        return (total, Math.Max(steady, 0.001));
    }

    /// <summary>The same messages end to end: read, stored as batch jobs, and run to success by two worker slots.</summary>
    private async Task<double> FinishInBatchesAsync(string bootstrap)
    {
        var database = await BenchSilo.CreateDatabaseAsync(postgres);
        await using var silo = await BenchSilo.StartAsync(database, workers: 2, bun);
        await silo.DefineAsync("bench", bootstrap, "export async function main(payloads: string[]) { return payloads.length; }", dedicated: true);
        await using var db = NpgsqlDataSource.Create(database);
        var stopwatch = Stopwatch.StartNew();
        await silo.CreateTriggerAsync("bench", "u/bench/batches", Topic, BatchSize);
        await using var finished = db.CreateCommand("SELECT coalesce(sum(result::text::bigint), 0)::bigint FROM jobs WHERE status = 'success'");
        while ((long)(await finished.ExecuteScalarAsync())! < messages)
        {
            if (stopwatch.Elapsed > TimeSpan.FromMinutes(5)) throw new TimeoutException("The batch jobs did not finish within 5 minutes.");
            await Task.Delay(100);
        }
        return stopwatch.Elapsed.TotalSeconds;
    }

    private static async Task<long> CountAsync(NpgsqlDataSource db)
    {
        await using var cmd = db.CreateCommand("SELECT count(*) FROM jobs");
        return (long)(await cmd.ExecuteScalarAsync())!;
    }
}
