using System.Diagnostics;
using Triggers.Triggers;
using Triggers.Triggers.Kafka;
using Triggers.Triggers.Kafka.Development;
using Triggers.Validation;

namespace Triggers.Benchmarks;

/// <summary>
/// What idle triggers cost one silo (PostgreSQL mode, no workers): threads, resident memory and CPU while each of
/// <c>counts</c> triggers listens to a quiet topic of its own, against the same silo with no trigger in the same run.
/// </summary>
internal sealed class IdleTriggersBenchmark(string postgres, int[] counts, int seconds = 20, int fetchWaitMaxMs = 500)
{
    public async Task RunAsync()
    {
        using var kafka = new MockKafkaCluster(brokers: 1);
        var database = await BenchSilo.CreateDatabaseAsync(postgres);
        await using var silo = await BenchSilo.StartAsync(database, workers: 0, fetchWaitMaxMs: fetchWaitMaxMs);
        await silo.DefineAsync("idle", kafka.BootstrapServers, "export async function main(payload: string) { return 1; }");

        Console.WriteLine($"## Idle triggers: one silo, each trigger on a quiet 1-partition topic, Kafka:FetchWaitMaxMs={fetchWaitMaxMs}, measured over {seconds} s");
        Console.WriteLine();
        Console.WriteLine("| triggers | threads | resident MB | CPU, % of one core | per trigger: threads | MB | % core |");
        Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|");
        var baseline = await SampleAsync();
        Console.WriteLine($"| 0 | {baseline.Threads} | {baseline.Mb:0} | {baseline.Cpu:0.0} | | | |");
        var created = 0;
        foreach (var count in counts)
        {
            for (; created < count; created++)
            {
                var topic = $"idle-{created}";
                kafka.CreateTopic(topic, 1);
                await silo.CreateTriggerAsync("idle", $"u/bench/idle{created}", topic);
            }
            await WaitListeningAsync(silo, count);
            var sample = await SampleAsync();
            Console.WriteLine($"| {count} | {sample.Threads} | {sample.Mb:0} | {sample.Cpu:0.0} | " +
                              $"{(sample.Threads - baseline.Threads) / (double)count:0.0} | {(sample.Mb - baseline.Mb) / count:0.00} | {(sample.Cpu - baseline.Cpu) / count:0.000} |");
        }
    }

    private static async Task WaitListeningAsync(BenchSilo silo, int count)
    {
        var deadline = Stopwatch.StartNew();
        for (var i = 0; i < count; i++)
        {
            var trigger = silo.Grains.GetGrain<IKafkaTriggerGrain>(Names.ItemKey("idle", $"u/bench/idle{i}"));
            while ((await trigger.GetAsync())!.Status is not { State: ListenerState.Listening, Partitions.Count: > 0 })
            {
                if (deadline.Elapsed > TimeSpan.FromMinutes(5)) throw new TimeoutException($"Trigger {i} did not start listening.");
                await Task.Delay(100);
            }
        }
    }

    /// <summary>Threads and resident memory of this process (the silo) now, and its CPU over the next seconds.</summary>
    private async Task<(int Threads, double Mb, double Cpu)> SampleAsync()
    {
        var process = Process.GetCurrentProcess();
        var cpu = process.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        await Task.Delay(TimeSpan.FromSeconds(seconds));
        process.Refresh();
        var used = (process.TotalProcessorTime - cpu).TotalSeconds / clock.Elapsed.TotalSeconds * 100;
        return (process.Threads.Count, process.WorkingSet64 / 1e6, used);
    }
}
