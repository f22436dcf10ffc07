using System.Diagnostics;
using Confluent.Kafka;
using Npgsql;
using Triggers.Triggers;
using Triggers.Triggers.Kafka;
using Triggers.Triggers.Kafka.Development;
using Triggers.Validation;

namespace Triggers.Benchmarks;

/// <summary>
/// Produce-to-success latency of a trivial Bun script at a steady, modest rate (PostgreSQL mode, 2 workers).
/// librdkafka's mock broker holds every fetch for the full fetch.wait.max.ms even when data arrives meanwhile
/// (a real broker answers at once), so the run is repeated with the default 500 ms and with 50 ms.
/// </summary>
internal sealed class LatencyBenchmark(string postgres, string bun, int seconds, int rate)
{
    private const string Topic = "latency";

    public async Task RunAsync()
    {
        Console.WriteLine($"## Latency: produce → job success, trivial Bun script, {rate} msg/s for {seconds} s, PostgreSQL mode, 2 workers");
        Console.WriteLine();
        Console.WriteLine("| script | Kafka:FetchWaitMaxMs | jobs | not successful | p50 ms | p90 ms | p99 ms | max ms |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var dedicated in new[] { false, true })
            foreach (var fetchWait in new[] { 500, 50 }) await RunOnceAsync(fetchWait, dedicated);
    }

    private async Task RunOnceAsync(int fetchWaitMaxMs, bool dedicated)
    {
        using var kafka = new MockKafkaCluster(brokers: 1);
        kafka.CreateTopic(Topic, 4);
        var database = await BenchSilo.CreateDatabaseAsync(postgres);
        await using var silo = await BenchSilo.StartAsync(database, workers: 2, bun, fetchWaitMaxMs);
        await silo.DefineAsync("lat", kafka.BootstrapServers, "export async function main(payload: string) { return payload.length; }", dedicated);
        await silo.CreateTriggerAsync("lat", "u/bench/trigger", Topic);
        var trigger = silo.Grains.GetGrain<IKafkaTriggerGrain>(Names.ItemKey("lat", "u/bench/trigger"));
        while ((await trigger.GetAsync())!.Status is not { State: ListenerState.Listening, Partitions.Count: > 0 }) await Task.Delay(50);

        var total = seconds * rate;
        using (var producer = new ProducerBuilder<Null, string>(new ProducerConfig { BootstrapServers = kafka.BootstrapServers, LingerMs = 0 }).Build())
        {
            var clock = Stopwatch.StartNew();
            for (var i = 0; i < total; i++)
            {
                var due = TimeSpan.FromSeconds((double)i / rate);
                if (due > clock.Elapsed) await Task.Delay(due - clock.Elapsed);
                producer.Produce(Topic, new Message<Null, string> { Value = $$"""{"n": {{i}}}""" });
            }
            producer.Flush();
        }

        await using var db = NpgsqlDataSource.Create(database);
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (await ScalarAsync<long>(db, "SELECT count(*) FROM jobs WHERE status IN ('success', 'failure')") < total && DateTime.UtcNow < deadline)
            await Task.Delay(100);
        var failures = await ScalarAsync<long>(db, "SELECT count(*) FROM jobs WHERE status <> 'success'");

        var latencies = new List<double>();
        await using (var cmd = db.CreateCommand("SELECT EXTRACT(EPOCH FROM completed_at - (event->>'timestamp')::timestamptz)::float8 * 1000 FROM jobs WHERE status = 'success'"))
        await using (var reader = await cmd.ExecuteReaderAsync())
            while (await reader.ReadAsync()) latencies.Add(reader.GetDouble(0));
        latencies.Sort();

        Console.WriteLine($"| {(dedicated ? "dedicated" : "process per job")} | {fetchWaitMaxMs} | {latencies.Count} | {failures} | {Percentile(latencies, 0.50):0} | {Percentile(latencies, 0.90):0} | {Percentile(latencies, 0.99):0} | {latencies.LastOrDefault():0} |");
    }

    private static double Percentile(List<double> sorted, double p) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];

    private static async Task<T> ScalarAsync<T>(NpgsqlDataSource db, string sql)
    {
        await using var cmd = db.CreateCommand(sql);
        return (T)(await cmd.ExecuteScalarAsync())!;
    }
}
