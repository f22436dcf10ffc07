using System.Net;
using System.Net.Http.Json;
using Confluent.Kafka;
using Triggers.Tests.Infrastructure;

namespace Triggers.Tests.EndToEnd;

/// <summary>Disable, enable, update and delete act on the real consumer and its group.</summary>
[Collection(EmbeddedSiloCollection.Name)]
public sealed class TriggerLifecycleTests(EmbeddedSiloFixture fixture)
{
    private const string Echo = "export async function main(payload: string) { return atob(payload); }";
    private TriggersApiClient Api => fixture.Api;
    private string Bootstrap => fixture.Kafka.BootstrapServers;

    private async Task<(string Ws, string Topic)> SetUpAsync(int partitions = 2)
    {
        var ws = $"lc-{Guid.NewGuid():N}"[..20];
        var topic = $"t-{Guid.NewGuid():N}";
        fixture.Kafka.CreateTopic(topic, partitions);
        await Api.CreateWorkspaceAsync(ws);
        await Api.CreateKafkaResourceAsync(ws, "u/test/kafka", Bootstrap);
        await Api.CreateScriptAsync(ws, "u/test/echo", "bun", Echo);
        await Api.CreateTriggerAsync(ws, new { path = "u/test/trigger", script_path = "u/test/echo", kafka_resource_path = "u/test/kafka", topics = new[] { topic } });
        await Api.WaitUntilListeningAsync(ws, "u/test/trigger");
        return (ws, topic);
    }

    private async Task SetModeAsync(string ws, string mode)
    {
        using var response = await Api.Http.PostAsJsonAsync($"/api/w/{ws}/kafka_triggers/setmode/u/test/trigger", new { mode });
        response.EnsureSuccessStatusCode();
    }

    [Fact]
    public async Task A_disabled_trigger_gets_the_messages_it_missed_when_enabled_again()
    {
        var (ws, topic) = await SetUpAsync();
        await TestProducer.ProduceAsync(Bootstrap, topic, "before-1", "before-2");
        await Api.WaitForFinishedJobsAsync(ws, "u/test/trigger", 2);

        await SetModeAsync(ws, "disabled");
        var stopped = await Api.GetTriggerAsync(ws, "u/test/trigger");
        Assert.Equal("stopped", (string?)stopped["status"]!["state"]);
        Assert.Equal("disabled", (string?)stopped["mode"]);
        Assert.Null((string?)stopped["server_id"]);

        await TestProducer.ProduceAsync(Bootstrap, topic, "missed-1", "missed-2", "missed-3");
        Assert.Equal(2, (await Api.ListJobsAsync(ws, "u/test/trigger")).Count);

        await SetModeAsync(ws, "enabled");
        var jobs = await Api.WaitForFinishedJobsAsync(ws, "u/test/trigger", 5);
        Assert.Equal(["before-1", "before-2", "missed-1", "missed-2", "missed-3"], jobs.Select(j => (string)j["result"]!).Order());
        Assert.Equal(5, (await Api.ListJobsAsync(ws, "u/test/trigger")).Count);
    }

    [Fact]
    public async Task A_redelivered_offset_does_not_create_a_second_job()
    {
        var (ws, topic) = await SetUpAsync();
        await TestProducer.ProduceAsync(Bootstrap, topic, "a", "b", "c");
        await Api.WaitForFinishedJobsAsync(ws, "u/test/trigger", 3);
        var groupId = (string)(await Api.GetTriggerAsync(ws, "u/test/trigger"))["group_id"]!;

        // Rewind the group while the trigger is off, so it reads the same offsets again.
        await SetModeAsync(ws, "disabled");
        using (var rewinder = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig { BootstrapServers = Bootstrap, GroupId = groupId, SessionTimeoutMs = 6000 }).Build())
        {
            rewinder.Subscribe(topic);
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (rewinder.Assignment.Count < 2 && DateTime.UtcNow < deadline) rewinder.Consume(TimeSpan.FromMilliseconds(100));
            rewinder.Commit([new TopicPartitionOffset(topic, 0, 0), new TopicPartitionOffset(topic, 1, 0)]);
            rewinder.Close();
        }
        await SetModeAsync(ws, "enabled");

        var trigger = await Eventually.WaitAsync(() => Api.GetTriggerAsync(ws, "u/test/trigger"),
            t => (long)t["status"]!["messages_received"]! >= 3, TimeSpan.FromSeconds(30), "the rewound messages to be read again");
        Assert.Equal(3, (long)trigger["status"]!["duplicates_skipped"]!);
        Assert.Equal(0, (long)trigger["status"]!["jobs_created"]!);
        Assert.Equal(3, (await Api.ListJobsAsync(ws, "u/test/trigger")).Count);
    }

    [Fact]
    public async Task An_update_restarts_the_consumer_on_the_new_topics()
    {
        var (ws, _) = await SetUpAsync();
        var newTopic = $"t-{Guid.NewGuid():N}";
        fixture.Kafka.CreateTopic(newTopic, 1);

        using var response = await Api.Http.PostAsJsonAsync($"/api/w/{ws}/kafka_triggers/update/u/test/trigger",
            new { script_path = "u/test/echo", kafka_resource_path = "u/test/kafka", topics = new[] { newTopic }, auto_offset_reset = "earliest" });
        response.EnsureSuccessStatusCode();
        var listening = await Api.WaitUntilListeningAsync(ws, "u/test/trigger");
        Assert.All(listening["status"]!["partitions"]!.AsArray(), p => Assert.Equal(newTopic, (string?)p!["topic"]));

        await TestProducer.ProduceAsync(Bootstrap, newTopic, "on-the-new-topic");
        var job = Assert.Single(await Api.WaitForFinishedJobsAsync(ws, "u/test/trigger", 1));
        Assert.Equal("on-the-new-topic", (string?)job["result"]);
    }

    [Fact]
    public async Task A_deleted_trigger_stops_consuming_and_its_group_passes_the_partition_on()
    {
        var (ws, topic) = await SetUpAsync(partitions: 1);
        var groupId = (string)(await Api.GetTriggerAsync(ws, "u/test/trigger"))["group_id"]!;

        using (var delete = await Api.Http.DeleteAsync($"/api/w/{ws}/kafka_triggers/delete/u/test/trigger"))
            delete.EnsureSuccessStatusCode();
        Assert.False(await Api.Http.GetFromJsonAsync<bool>($"/api/w/{ws}/kafka_triggers/exists/u/test/trigger"));
        using (var get = await Api.Http.GetAsync($"/api/w/{ws}/kafka_triggers/get/u/test/trigger"))
            Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);

        await TestProducer.ProduceAsync(Bootstrap, topic, "after-delete-1", "after-delete-2");

        // Another member of the same group gets the partition and finds both messages uncommitted:
        // the deleted trigger's consumer stopped (as a static member it is dropped after its session timeout) and took nothing.
        using var consumer = new ConsumerBuilder<Ignore, string>(new ConsumerConfig
        {
            BootstrapServers = Bootstrap, GroupId = groupId, AutoOffsetReset = AutoOffsetReset.Earliest, SessionTimeoutMs = 6000,
        }).Build();
        consumer.Subscribe(topic);
        var seen = new List<string>();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (seen.Count < 2 && DateTime.UtcNow < deadline)
            if (consumer.Consume(TimeSpan.FromMilliseconds(200)) is { } m) seen.Add(m.Message.Value);
        consumer.Close();
        Assert.Equal(["after-delete-1", "after-delete-2"], seen);
        Assert.Empty(await Api.ListJobsAsync(ws, "u/test/trigger"));
    }

    [Fact]
    public async Task A_broker_outage_shows_in_the_status_and_the_trigger_resumes_when_it_returns()
    {
        using var kafka = new Triggers.Kafka.Development.MockKafkaCluster(brokers: 1);
        var ws = $"bo-{Guid.NewGuid():N}"[..20];
        var topic = $"t-{Guid.NewGuid():N}";
        kafka.CreateTopic(topic, 1);
        await Api.CreateWorkspaceAsync(ws);
        await Api.CreateKafkaResourceAsync(ws, "u/test/kafka", kafka.BootstrapServers);
        await Api.CreateScriptAsync(ws, "u/test/echo", "bun", Echo);
        await Api.CreateTriggerAsync(ws, new { path = "u/test/trigger", script_path = "u/test/echo", kafka_resource_path = "u/test/kafka", topics = new[] { topic } });
        await Api.WaitUntilListeningAsync(ws, "u/test/trigger");

        kafka.SetBrokerDown();
        var down = await Eventually.WaitAsync(() => Api.GetTriggerAsync(ws, "u/test/trigger"),
            t => (string?)t["status"]!["state"] == "error", TimeSpan.FromSeconds(30), "the outage to show in the status");
        Assert.False(string.IsNullOrEmpty((string?)down["error"]));

        kafka.SetBrokerUp();
        await TestProducer.ProduceAsync(kafka.BootstrapServers, topic, "after-outage");
        var job = Assert.Single(await Api.WaitForFinishedJobsAsync(ws, "u/test/trigger", 1));
        Assert.Equal("after-outage", (string?)job["result"]);
        await Eventually.WaitAsync(() => Api.GetTriggerAsync(ws, "u/test/trigger"),
            t => (string?)t["status"]!["state"] == "listening" && t["error"] is null, TimeSpan.FromSeconds(30), "the trigger to report it is listening again");

        using var delete = await Api.Http.DeleteAsync($"/api/w/{ws}/kafka_triggers/delete/u/test/trigger");
    }

    [Fact]
    public async Task A_trigger_on_a_missing_topic_says_so_and_starts_consuming_once_it_exists()
    {
        var ws = $"mt-{Guid.NewGuid():N}"[..20];
        var topic = $"missing-{Guid.NewGuid():N}";
        await Api.CreateWorkspaceAsync(ws);
        await Api.CreateKafkaResourceAsync(ws, "u/test/kafka", Bootstrap);
        await Api.CreateScriptAsync(ws, "u/test/echo", "bun", Echo);
        await Api.CreateTriggerAsync(ws, new { path = "u/test/trigger", script_path = "u/test/echo", kafka_resource_path = "u/test/kafka", topics = new[] { topic } });

        var waiting = await Eventually.WaitAsync(() => Api.GetTriggerAsync(ws, "u/test/trigger"),
            t => (string?)t["status"]!["state"] == "error", TimeSpan.FromSeconds(30), "the missing topic to show in the status");
        Assert.Contains(topic, (string?)waiting["error"]);

        fixture.Kafka.CreateTopic(topic, 1);
        await TestProducer.ProduceAsync(Bootstrap, topic, "finally");
        var job = Assert.Single(await Api.WaitForFinishedJobsAsync(ws, "u/test/trigger", 1));
        Assert.Equal("finally", (string?)job["result"]);
    }
}
