using System.Diagnostics;
using Triggers.Triggers;
using Triggers.Triggers.Kafka;
using Triggers.Validation;

namespace Triggers.Benchmarks;

/// <summary>
/// What idle triggers cost one silo (PostgreSQL mode, no workers): threads, resident memory and CPU while each of
/// <c>counts</c> triggers listens to a quiet topic of its own, against the same silo with no trigger in the same run.
/// The mock broker runs in a process of its own, and its CPU is reported apart: on a real cluster that share is the
/// brokers'.
/// </summary>
internal sealed class IdleTriggersBenchmark(string postgres, int[] counts, int seconds = 20, int fetchWaitMaxMs = 500)
{
    public async Task RunAsync()
    {
        using var kafka = BrokerProcess.Start();
        var database = await BenchSilo.CreateDatabaseAsync(postgres);
        await using var silo = await BenchSilo.StartAsync(database, workers: 0, fetchWaitMaxMs: fetchWaitMaxMs);
        await silo.DefineAsync("idle", kafka.BootstrapServers, "export async function main(payload: string) { return 1; }");

        Console.WriteLine($"## Idle triggers: one silo, each trigger on a quiet 1-partition topic, Kafka:FetchWaitMaxMs={fetchWaitMaxMs}, measured over {seconds} s");
        Console.WriteLine();
        Console.WriteLine("| triggers | silo threads | silo resident MB | silo CPU, % of one core | broker CPU, % of one core | per trigger: threads | MB | % core (silo) | % core (broker) |");
        Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        var baseline = await SampleAsync(kafka);
        Console.WriteLine($"| 0 | {baseline.Threads} | {baseline.Mb:0} | {baseline.Cpu:0.0} | {baseline.BrokerCpu:0.0} | | | | |");
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
            var sample = await SampleAsync(kafka);
            Console.WriteLine($"| {count} | {sample.Threads} | {sample.Mb:0} | {sample.Cpu:0.0} | {sample.BrokerCpu:0.0} | " +
                              $"{(sample.Threads - baseline.Threads) / (double)count:0.0} | {(sample.Mb - baseline.Mb) / count:0.00} | " +
                              $"{(sample.Cpu - baseline.Cpu) / count:0.000} | {(sample.BrokerCpu - baseline.BrokerCpu) / count:0.000} |");
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

    /// <summary>Threads and resident memory of this process (the silo) now, and its and the broker's CPU over the next
    /// seconds.</summary>
    private async Task<(int Threads, double Mb, double Cpu, double BrokerCpu)> SampleAsync(BrokerProcess broker)
    {
        var process = Process.GetCurrentProcess();
        var cpu = process.TotalProcessorTime;
        var brokerCpu = broker.CpuTime;
        var clock = Stopwatch.StartNew();
        await Task.Delay(TimeSpan.FromSeconds(seconds));
        process.Refresh();
        double Percent(TimeSpan used) => used.TotalSeconds / clock.Elapsed.TotalSeconds * 100;
        return (process.Threads.Count, process.WorkingSet64 / 1e6, Percent(process.TotalProcessorTime - cpu), Percent(broker.CpuTime - brokerCpu));
    }
}
