using System.Text.Json.Nodes;
using Triggers.Tests.Infrastructure;

namespace Triggers.Tests.Cluster;

/// <summary>A trigger's ordering holds across a SIGKILLed silo: the job it was running runs again before the next.</summary>
[Collection(PostgresCollection.Name)]
public sealed class OrderedFailoverTests(PostgresFixture postgres) : IAsyncLifetime
{
    private const int Messages = 10;
    private SiloCluster _cluster = null!;

    public async Task InitializeAsync() => _cluster = await SiloCluster.StartAsync(postgres, silos: 2);

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task A_partitions_jobs_stay_in_order_when_the_silo_running_one_of_them_is_killed()
    {
        var api = _cluster.Api;
        await api.CreateScriptAsync(SiloCluster.Ws, "u/ops/slow", "bun", "export async function main(payload: string) { await Bun.sleep(700); return atob(payload); }");
        var topic = $"ordered-{Guid.NewGuid():N}";
        _cluster.Kafka.CreateTopic(topic, 1);
        await api.CreateTriggerAsync(SiloCluster.Ws, new { path = "u/ops/ordered", script_path = "u/ops/slow", kafka_resource_path = "u/ops/kafka", topics = new[] { topic }, ordering = "partition" });
        await api.WaitUntilListeningAsync(SiloCluster.Ws, "u/ops/ordered", TimeSpan.FromSeconds(60));
        await TestProducer.ProduceAsync(_cluster.Kafka.BootstrapServers, topic, Enumerable.Range(0, Messages).Select(i => $"m{i:D2}"));

        // Kill the silo whose worker runs the partition's current job, a few jobs in.
        var running = await Eventually.WaitAsync(async () =>
            {
                var jobs = await api.ListJobsAsync(SiloCluster.Ws, "u/ops/ordered");
                return jobs.Count(j => (string?)j["status"] == "success") >= 2 ? jobs.FirstOrDefault(j => (string?)j["status"] == "running" && j["worker"] is not null) : null;
            },
            j => j is not null, TimeSpan.FromSeconds(60), "a job after the first two to run");
        var victim = _cluster.Silos.Single(s => ((string)running!["worker"]!).Contains($":{s.SiloPort}:"));
        await victim.KillAsync();
        api = _cluster.Silos.First(s => s != victim).CreateApiClient();

        var jobs = await Eventually.WaitAsync(() => api.ListJobsAsync(SiloCluster.Ws, "u/ops/ordered"),
            list => list.Count(j => (string?)j["status"] == "success") == Messages, TimeSpan.FromSeconds(120), "every message's job to succeed on the survivor");
        var inOrder = jobs.OrderBy(j => (string)j["result"]!, StringComparer.Ordinal).ToList();
        Assert.Equal(Enumerable.Range(0, Messages).Select(i => $"m{i:D2}"), inOrder.Select(j => (string)j["result"]!));
        for (var i = 1; i < Messages; i++)
            Assert.True((DateTimeOffset)inOrder[i]["started_at"]! >= (DateTimeOffset)inOrder[i - 1]["completed_at"]!,
                $"{inOrder[i]["result"]} started before {inOrder[i - 1]["result"]} completed");
        // The killed run was lost and ran again, before the jobs after it.
        Assert.Equal(2, (int)jobs.Single(j => (string)j["id"]! == (string)running!["id"]!)["attempts"]!);
    }
}
