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
    public async Task An_update_with_another_path_in_the_body_renames_the_trigger_which_goes_on_from_its_group()
    {
        var (ws, topic) = await SetUpAsync();
        await TestProducer.ProduceAsync(Bootstrap, topic, "before-1", "before-2");
        await Api.WaitForFinishedJobsAsync(ws, "u/test/trigger", 2);
        var groupId = (string)(await Api.GetTriggerAsync(ws, "u/test/trigger"))["group_id"]!;
        // A job queued under the old path and not yet run (held while suspended) follows the trigger.
        await SetModeAsync(ws, "suspended");
        await TestProducer.ProduceAsync(Bootstrap, topic, "held");
        await Eventually.WaitAsync(() => Api.ListJobsAsync(ws, "u/test/trigger"), jobs => jobs.Count == 3, TimeSpan.FromSeconds(30), "the held job");

        // As Windmill's client sends it: the whole trigger (its auto_offset_reset included: the topic's second partition
        // has no committed offset yet, and at "latest" the messages produced below could land before its first fetch),
        // without group_id or mode, under its new path.
        using (var rename = await Api.Http.PostAsJsonAsync($"/api/w/{ws}/kafka_triggers/update/u/test/trigger",
                   new { path = "u/test/renamed", script_path = "u/test/echo", kafka_resource_path = "u/test/kafka", topics = new[] { topic }, auto_offset_reset = "earliest" }))
        {
            Assert.True(rename.IsSuccessStatusCode, await rename.Content.ReadAsStringAsync());
            Assert.Equal("Trigger 'u/test/renamed' updated", await rename.Content.ReadAsStringAsync());
        }
        Assert.False(await Api.Http.GetFromJsonAsync<bool>($"/api/w/{ws}/kafka_triggers/exists/u/test/trigger"));
        var renamed = await Eventually.WaitAsync(() => Api.GetTriggerAsync(ws, "u/test/renamed"),
            t => (string?)t["status"]!["state"] == "suspended" && t["status"]!["partitions"]!.AsArray().Count > 0,
            TimeSpan.FromSeconds(30), "the renamed trigger to consume, still suspended");
        Assert.Equal((groupId, "suspended"), ((string?)renamed["group_id"], (string?)renamed["mode"]));

        await TestProducer.ProduceAsync(Bootstrap, topic, "after-1", "after-2");
        using (var enable = await Api.Http.PostAsJsonAsync($"/api/w/{ws}/kafka_triggers/setmode/u/test/renamed", new { mode = "enabled" }))
            enable.EnsureSuccessStatusCode();
        var jobs = await Api.WaitForFinishedJobsAsync(ws, "u/test/renamed", 3);
        Assert.Equal(["after-1", "after-2", "held"], jobs.Select(j => (string)j["result"]!).Order());
        // Nothing read twice: the old path keeps the two jobs it finished, the new one has the rest.
        Assert.Equal(2, (await Api.ListJobsAsync(ws, "u/test/trigger")).Count);
        Assert.Equal(3, (await Api.ListJobsAsync(ws, "u/test/renamed")).Count);
    }

    [Fact]
    public async Task A_rename_onto_an_existing_trigger_or_with_a_bad_setting_changes_nothing()
    {
        var (ws, topic) = await SetUpAsync();
        await Api.CreateTriggerAsync(ws, new { path = "u/test/other", script_path = "u/test/echo", kafka_resource_path = "u/test/kafka", topics = new[] { topic }, mode = "disabled" });

        using (var taken = await Api.Http.PostAsJsonAsync($"/api/w/{ws}/kafka_triggers/update/u/test/trigger",
                   new { path = "u/test/other", script_path = "u/test/echo", kafka_resource_path = "u/test/kafka", topics = new[] { topic } }))
        {
            Assert.Equal(HttpStatusCode.Conflict, taken.StatusCode);
            Assert.Contains("u/test/other", await taken.Content.ReadAsStringAsync());
        }
        using (var bad = await Api.Http.PostAsJsonAsync($"/api/w/{ws}/kafka_triggers/update/u/test/trigger",
                   new { path = "u/test/moved", script_path = "u/test/missing", kafka_resource_path = "u/test/kafka", topics = new[] { topic } }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
            Assert.Contains("script_path", await bad.Content.ReadAsStringAsync());
        }
        Assert.False(await Api.Http.GetFromJsonAsync<bool>($"/api/w/{ws}/kafka_triggers/exists/u/test/moved"));

        // The trigger is where it was and still listens: a new message becomes its job.
        await Api.WaitUntilListeningAsync(ws, "u/test/trigger");
        await TestProducer.ProduceAsync(Bootstrap, topic, "still-here");
        var job = Assert.Single(await Api.WaitForFinishedJobsAsync(ws, "u/test/trigger", 1));
        Assert.Equal("still-here", (string?)job["result"]);
    }

    [Fact]
    public async Task Without_auto_commit_the_group_moves_only_when_commit_offsets_says_so_listening_or_not()
    {
        var ws = $"lc-{Guid.NewGuid():N}"[..20];
        var topic = $"t-{Guid.NewGuid():N}";
        fixture.Kafka.CreateTopic(topic, 1);
        await Api.CreateWorkspaceAsync(ws);
        await Api.CreateKafkaResourceAsync(ws, "u/test/kafka", Bootstrap);
        // What a script needs to commit is in its event: topic, partition and offset.
        await Api.CreateScriptAsync(ws, "u/test/offsets", "bun", """
            export async function preprocessor(event: any) { return { payload: event.payload, at: `${event.topic}/${event.partition}/${event.offset}` }; }
            export async function main(payload: string, at: string) { return `${atob(payload)}@${at}`; }
            """);
        await Api.CreateTriggerAsync(ws, new { path = "u/test/trigger", script_path = "u/test/offsets", kafka_resource_path = "u/test/kafka", topics = new[] { topic }, auto_commit = false });
        var created = await Api.WaitUntilListeningAsync(ws, "u/test/trigger");
        Assert.False((bool)created["auto_commit"]!);
        var groupId = (string)created["group_id"]!;
        await TestProducer.ProduceAsync(Bootstrap, topic, "a", "b", "c");
        var jobs = await Api.WaitForFinishedJobsAsync(ws, "u/test/trigger", 3);
        Assert.Equal(Offset.Unset, Committed(groupId, topic));

        async Task<(HttpStatusCode, string)> CommitAsync(object body)
        {
            using var response = await Api.Http.PostAsJsonAsync($"/api/w/{ws}/kafka_triggers/commit_offsets/u/test/trigger", body);
            return (response.StatusCode, await response.Content.ReadAsStringAsync());
        }

        // As a script would: the event's topic, partition and offset of the last message it processed ("b").
        Assert.Equal(["a", "b", "c"], jobs.Select(j => ((string)j["result"]!).Split('@')[0]).Order());
        var at = ((string)jobs.Single(j => ((string)j["result"]!).StartsWith("b@"))["result"]!).Split('@')[1].Split('/');
        Assert.Equal((topic, "0"), (at[0], at[1]));
        var offsetOfB = long.Parse(at[2]);
        Assert.Equal((HttpStatusCode.OK, "Offsets committed for trigger 'u/test/trigger'"), await CommitAsync(new { topic, partition = 0, offset = offsetOfB }));
        Assert.Equal(new Offset(offsetOfB + 1), Committed(groupId, topic));
        var status = await Api.GetTriggerAsync(ws, "u/test/trigger");
        Assert.Equal(offsetOfB + 1, (long)status["status"]!["partitions"]![0]!["committed_offset"]!);

        // Not listening: a member joins the group for the commit alone.
        await SetModeAsync(ws, "disabled");
        Assert.Equal(HttpStatusCode.OK, (await CommitAsync(new { topic, partition = 0, offset = 2 })).Item1);
        Assert.Equal(new Offset(3), Committed(groupId, topic));

        var (wrongTopic, why) = await CommitAsync(new { topic = "elsewhere", partition = 0, offset = 0 });
        Assert.Equal(HttpStatusCode.BadRequest, wrongTopic);
        Assert.Contains("elsewhere", why);
        Assert.Equal(HttpStatusCode.BadRequest, (await CommitAsync(new { topic, partition = 0 })).Item1);
    }

    [Fact]
    public async Task A_trigger_that_commits_itself_refuses_commit_offsets_and_says_why()
    {
        var (ws, topic) = await SetUpAsync();
        using var response = await Api.Http.PostAsJsonAsync($"/api/w/{ws}/kafka_triggers/commit_offsets/u/test/trigger", new { topic, partition = 0, offset = 0 });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("auto_commit", await response.Content.ReadAsStringAsync());
    }

    /// <summary>The group's committed offset on partition 0, as any client of the broker reads it.</summary>
    private Offset Committed(string groupId, string topic)
    {
        using var reader = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig { BootstrapServers = Bootstrap, GroupId = groupId }).Build();
        return reader.Committed([new TopicPartition(topic, 0)], TimeSpan.FromSeconds(10)).Single().Offset;
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
