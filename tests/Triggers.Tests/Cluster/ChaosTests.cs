using System.Text.Json.Nodes;
using Triggers.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Triggers.Tests.Cluster;

/// <summary>
/// The two compound faults that once cost a chaos run its exactly-once (docs/RELIABILITY.md), replayed on purpose
/// against real silo processes, a real PostgreSQL and the mock Kafka cluster: each message must end in exactly one
/// successful job, none lost, none doubled, none left unfinished.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class ChaosTests(PostgresFixture postgres, ITestOutputHelper output)
{
    private const string Path = "u/ops/hot";

    [Fact]
    public async Task A_database_outage_ended_by_a_graceful_stop_loses_no_message_of_a_hot_partition()
    {
        // Writes cut at ten messages, and a first retry four seconds after a failed write: when the database comes back
        // and the silo is stopped at once, one write is waiting out its retry while the next has been read.
        await using var cluster = await SiloCluster.StartAsync(postgres, silos: 2,
            new Dictionary<string, string> { ["Kafka__MaxBatchSize"] = "10", ["Kafka__RetryBackoffMin"] = "00:00:04" }, cuttableDatabase: true);
        var topic = $"hot-{Guid.NewGuid():N}";
        cluster.Kafka.CreateTopic(topic, 1);
        await cluster.CreateTriggerAsync(Path, topic, batchSize: 5);
        await cluster.Api.WaitUntilListeningAsync(SiloCluster.Ws, Path, TimeSpan.FromSeconds(60));
        var host = await cluster.HostOfAsync(Path);
        var api = cluster.Silos.First(s => s != host).CreateApiClient();

        using var streaming = new CancellationTokenSource();
        var stream = StreamAsync(cluster, topic, streaming.Token);
        await Eventually.WaitAsync(() => api.GetTriggerAsync(SiloCluster.Ws, Path), t => (long)t["status"]!["messages_received"]! >= 100,
            TimeSpan.FromSeconds(60), "the stream to be under way");

        cluster.DatabaseLink!.Cut();
        await Task.Delay(TimeSpan.FromSeconds(7)); // the outage's length: the scenario, not a wait for anything
        cluster.DatabaseLink.Restore();
        await host.StopAsync();
        await Eventually.WaitAsync(() => api.GetTriggerAsync(SiloCluster.Ws, Path),
            t => SiloCluster.SiloOf(t) != SiloCluster.SiloPortOf(host) && (string?)t["status"]!["state"] == "listening",
            TimeSpan.FromSeconds(60), "the trigger to listen on the other silo");
        streaming.Cancel();
        var produced = await stream;

        await AssertExactlyOneSuccessfulJobPerMessageAsync(cluster, api, produced);
    }

    [Fact]
    public async Task A_silo_frozen_and_woken_cannot_add_a_second_job_for_messages_its_successor_took()
    {
        await using var cluster = await SiloCluster.StartAsync(postgres, silos: 2, cuttableDatabase: true);
        var topic = $"frozen-{Guid.NewGuid():N}";
        cluster.Kafka.CreateTopic(topic, 1);
        // Batches of up to 100 that close a second after their first message: what one silo reads in two goes is cut
        // differently from what another reads at once.
        await cluster.Api.CreateTriggerAsync(SiloCluster.Ws, new
        {
            path = Path, script_path = "u/ops/echo_batch", kafka_resource_path = "u/ops/kafka", topics = new[] { topic },
            batch_size = 100, batch_window_ms = 1000,
        });
        await cluster.Api.WaitUntilListeningAsync(SiloCluster.Ws, Path, TimeSpan.FromSeconds(60));
        var frozen = await cluster.HostOfAsync(Path);
        var api = cluster.Silos.First(s => s != frozen).CreateApiClient();

        // The first five are read and closed into a batch whose write fails while the database is away: the silo is
        // frozen with that write still to be retried.
        cluster.DatabaseLink!.Cut();
        var first = Enumerable.Range(0, 5).Select(i => $"m{i:D2}").ToList();
        await TestProducer.ProduceAsync(cluster.Kafka.BootstrapServers, topic, first);
        await Eventually.WaitAsync(() => api.GetTriggerAsync(SiloCluster.Ws, Path), t => (string?)t["status"]!["error"] is { } error && error.Contains("store"),
            TimeSpan.FromSeconds(60), "the frozen silo's write to fail");
        frozen.Freeze();
        cluster.DatabaseLink.Restore();
        var second = Enumerable.Range(5, 5).Select(i => $"m{i:D2}").ToList();
        await TestProducer.ProduceAsync(cluster.Kafka.BootstrapServers, topic, second);

        // The survivor takes the trigger over and stores all ten, cut into one batch of its own.
        var produced = first.Concat(second).ToList();
        await Eventually.WaitAsync(() => api.ListJobsAsync(SiloCluster.Ws, Path),
            jobs => jobs.Where(j => (string?)j["status"] == "success").SelectMany(SiloCluster.Echoed).Count() >= produced.Count,
            TimeSpan.FromSeconds(120), "the survivor to run every message");
        // Woken, the frozen silo retries its write at once, before it learns that the cluster gave it up.
        frozen.Thaw();
        await Eventually.WaitAsync(() => Task.FromResult(frozen.HasExited), TimeSpan.FromSeconds(60), "the woken silo to leave");

        await AssertExactlyOneSuccessfulJobPerMessageAsync(cluster, api, produced);
    }

    /// <summary>Produces ten messages every 100 ms (100 a second, one partition) until cancelled; returns them.</summary>
    private static async Task<List<string>> StreamAsync(SiloCluster cluster, string topic, CancellationToken stop)
    {
        var produced = new List<string>();
        while (!stop.IsCancellationRequested)
        {
            var batch = Enumerable.Range(produced.Count, 10).Select(i => $"m{i:D5}").ToList();
            await TestProducer.ProduceAsync(cluster.Kafka.BootstrapServers, topic, batch);
            produced.AddRange(batch);
            await Task.Delay(100, CancellationToken.None);
        }
        return produced;
    }

    private async Task AssertExactlyOneSuccessfulJobPerMessageAsync(SiloCluster cluster, TriggersApiClient api, List<string> produced)
    {
        List<JsonObject> jobs;
        try
        {
            jobs = await Eventually.WaitAsync(() => api.ListJobsAsync(SiloCluster.Ws, Path, perPage: 1000),
                list => list.Where(j => (string?)j["status"] == "success").SelectMany(SiloCluster.Echoed).Count() >= produced.Count
                        && list.All(j => (string?)j["status"] == "success"),
                TimeSpan.FromSeconds(180), $"{produced.Count} messages echoed by successful jobs, and no job left unfinished");
        }
        catch (TimeoutException)
        {
            foreach (var silo in cluster.Silos) output.WriteLine($"==== silo {silo.SiloPort}\n{silo.Output}");
            var echoed = (await api.ListJobsAsync(SiloCluster.Ws, Path, perPage: 1000)).SelectMany(SiloCluster.Echoed).ToHashSet();
            output.WriteLine($"missing: {string.Join(", ", produced.Where(m => !echoed.Contains(m)))}");
            throw;
        }
        var echoes = jobs.SelectMany(SiloCluster.Echoed).Order(StringComparer.Ordinal).ToList();
        var doubled = echoes.GroupBy(m => m).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        Assert.True(doubled.Count == 0, $"{doubled.Count} messages ran twice: {string.Join(", ", doubled.Take(20))}");
        Assert.Equal(produced.Order(StringComparer.Ordinal).ToList(), echoes);
    }
}
