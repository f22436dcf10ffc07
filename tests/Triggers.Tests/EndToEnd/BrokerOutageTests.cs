using Triggers.Tests.Infrastructure;
using Triggers.Triggers.Kafka.Development;

namespace Triggers.Tests.EndToEnd;

/// <summary>
/// The Kafka broker goes down for two minutes, right after messages arrive and while more are being produced: the
/// trigger reports the outage, and once the broker is back it consumes again by itself, each message run exactly once.
/// Its own silo and mock cluster (the outage must not touch other tests).
/// </summary>
public sealed class BrokerOutageTests
{
    private const string Ws = "broker-outage";
    private static readonly TimeSpan Outage = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task A_two_minute_broker_outage_loses_and_repeats_nothing_and_the_trigger_resumes_by_itself()
    {
        using var kafka = new MockKafkaCluster(brokers: 1);
        var topic = $"outage-{Guid.NewGuid():N}";
        kafka.CreateTopic(topic, 2);
        await using var silo = new SiloFactory(new Dictionary<string, string?>());
        var api = silo.CreateApiClient();
        await api.CreateWorkspaceAsync(Ws);
        await api.CreateKafkaResourceAsync(Ws, "u/ops/kafka", kafka.BootstrapServers);
        await api.CreateScriptAsync(Ws, "u/ops/echo", "bun", "export async function main(payload: string) { return atob(payload); }");
        await api.CreateTriggerAsync(Ws, new { path = "u/ops/trigger", script_path = "u/ops/echo", kafka_resource_path = "u/ops/kafka", topics = new[] { topic } });
        await api.WaitUntilListeningAsync(Ws, "u/ops/trigger");
        var first = Enumerable.Range(1, 5).Select(i => $"first-{i}").ToArray();
        await TestProducer.ProduceAsync(kafka.BootstrapServers, topic, first);
        await api.WaitForFinishedJobsAsync(Ws, "u/ops/trigger", first.Length);

        // The broker goes down just after these arrive: some may be read but not yet committed.
        var before = Enumerable.Range(1, 5).Select(i => $"before-{i}").ToArray();
        await TestProducer.ProduceAsync(kafka.BootstrapServers, topic, before);
        kafka.SetBrokerDown();
        var downAt = DateTime.UtcNow;
        // Produced during the outage: the producer holds them until the broker is back.
        var during = Enumerable.Range(1, 5).Select(i => $"during-{i}").ToArray();
        var producing = TestProducer.ProduceAsync(kafka.BootstrapServers, topic, during);
        var troubled = await Eventually.WaitAsync(() => api.GetTriggerAsync(Ws, "u/ops/trigger"),
            t => (string?)t["status"]!["state"] == "error", TimeSpan.FromSeconds(60), "the trigger to report the outage");
        Assert.False(string.IsNullOrEmpty((string?)troubled["status"]!["error"]));
        // The outage itself: the scenario's length, not a wait for anything.
        await Task.Delay(Outage - (DateTime.UtcNow - downAt) is { Ticks: > 0 } rest ? rest : TimeSpan.Zero);
        kafka.SetBrokerUp();
        await producing;

        var all = first.Concat(before).Concat(during).ToArray();
        var jobs = await api.WaitForFinishedJobsAsync(Ws, "u/ops/trigger", all.Length, TimeSpan.FromMinutes(3));
        Assert.Equal(all.Order(), jobs.Select(j => (string)j["result"]!).Order());
        await Eventually.WaitAsync(() => api.GetTriggerAsync(Ws, "u/ops/trigger"),
            t => (string?)t["status"]!["state"] == "listening" && t["status"]!["error"] is null, TimeSpan.FromSeconds(60), "the trigger to report it is well again");
        // Nothing more arrives later: each message had its one job.
        Assert.Equal(all.Length, (await api.ListJobsAsync(Ws, "u/ops/trigger")).Count);
    }
}
