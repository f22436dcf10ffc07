using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Confluent.Kafka;
using Triggers.Tests.Infrastructure;

namespace Triggers.Tests.EndToEnd;

/// <summary>Triggers with <c>batch_size</c> above 1: one job receives several messages of a partition.</summary>
[Collection(EmbeddedSiloCollection.Name)]
public sealed class MessageBatchTests(EmbeddedSiloFixture fixture)
{
    private const string EchoBatch = "export async function main(payloads: string[]) { return payloads.map(p => atob(p)); }";

    private static IEnumerable<string> Echoed(JsonObject job) => job["result"]!.AsArray().Select(m => (string)m!);

    /// <summary>Waits until the trigger's finished jobs hold <paramref name="messages"/> messages between them.</summary>
    private static Task<List<JsonObject>> WaitForEchoedAsync(TriggerScenario s, int messages) =>
        Eventually.WaitAsync(() => s.Api.ListJobsAsync(s.Ws, TriggerScenario.Trigger),
            jobs => jobs.All(j => (string?)j["status"] == "success") && jobs.Sum(j => Echoed(j).Count()) >= messages,
            TimeSpan.FromSeconds(60), $"{messages} messages echoed by batch jobs");

    [Fact]
    public async Task A_batch_job_gets_up_to_batch_size_messages_of_one_partition_in_offset_order()
    {
        var s = await TriggerScenario.CreateAsync(fixture.Api, fixture.Kafka);
        await s.CreateScriptAsync("u/test/echo_batch", "bun", EchoBatch);
        await s.CreateTriggerAsync("u/test/echo_batch", new { batch_size = 3 });
        var produced = Enumerable.Range(0, 7).Select(i => $"m{i}").ToArray();
        await s.ProduceAsync(produced);

        var jobs = await WaitForEchoedAsync(s, produced.Length);
        Assert.All(jobs, j => Assert.InRange(Echoed(j).Count(), 1, 3));
        // Each job holds a run of consecutive messages; together, in order, they are the topic, each message once.
        Assert.Equal(produced, jobs.Select(Echoed).OrderBy(batch => batch.First(), StringComparer.Ordinal).SelectMany(b => b));
        var status = (await s.Api.GetTriggerAsync(s.Ws, TriggerScenario.Trigger))["status"]!;
        Assert.Equal(7, (long)status["messages_received"]!);
        Assert.Equal(jobs.Count, (long)status["jobs_created"]!);
    }

    [Fact]
    public async Task A_preprocessor_gets_a_kafka_batch_event_whose_messages_are_single_message_events()
    {
        var s = await TriggerScenario.CreateAsync(fixture.Api, fixture.Kafka);
        await s.CreateScriptAsync("u/test/batch_pre", "bun", """
            export async function preprocessor(event: any) {
              return {
                kind: event.kind, topic: event.topic, partition: event.partition,
                kinds: event.messages.map((m: any) => m.kind),
                offsets: event.messages.map((m: any) => m.offset),
                keys: event.messages.map((m: any) => atob(m.key)),
                values: event.messages.map((m: any) => atob(m.payload)),
              };
            }
            export async function main(kind: string, topic: string, partition: number, kinds: string[], offsets: number[], keys: string[], values: string[]) {
              return { kind, topic, partition, kinds, offsets, keys, values };
            }
            """);
        // A long window: the batch closes because it is full, however the messages are fetched.
        await s.CreateTriggerAsync("u/test/batch_pre", new { batch_size = 3, batch_window_ms = 120_000 });
        using (var producer = new ProducerBuilder<string, string>(new ProducerConfig { BootstrapServers = s.Kafka.BootstrapServers }).Build())
            foreach (var i in Enumerable.Range(1, 3))
                await producer.ProduceAsync(s.Topic, new Message<string, string> { Key = $"k{i}", Value = $"v{i}" });

        var job = Assert.Single(await s.Api.WaitForFinishedJobsAsync(s.Ws, TriggerScenario.Trigger, 1));
        Assert.Equal("success", (string?)job["status"]);
        var result = job["result"]!;
        Assert.Equal("kafka_batch", (string?)result["kind"]);
        Assert.Equal(s.Topic, (string?)result["topic"]);
        Assert.Equal(0, (int)result["partition"]!);
        Assert.Equal(["kafka", "kafka", "kafka"], result["kinds"]!.AsArray().Select(k => (string)k!));
        Assert.Equal([0L, 1L, 2L], result["offsets"]!.AsArray().Select(o => (long)o!));
        Assert.Equal(["k1", "k2", "k3"], result["keys"]!.AsArray().Select(k => (string)k!));
        Assert.Equal(["v1", "v2", "v3"], result["values"]!.AsArray().Select(v => (string)v!));
    }

    [Fact]
    public async Task A_batch_waits_out_its_window_for_more_messages()
    {
        var s = await TriggerScenario.CreateAsync(fixture.Api, fixture.Kafka);
        await s.CreateScriptAsync("u/test/echo_batch", "bun", EchoBatch);
        await s.CreateTriggerAsync("u/test/echo_batch", new { batch_size = 100, batch_window_ms = 8_000 });

        await s.ProduceAsync("early");
        await Eventually.WaitAsync(() => s.Api.GetTriggerAsync(s.Ws, TriggerScenario.Trigger),
            t => (long)t["status"]!["messages_received"]! == 1, TimeSpan.FromSeconds(30), "the first message to be read");
        Assert.Empty(await s.Api.ListJobsAsync(s.Ws, TriggerScenario.Trigger)); // the batch is still open
        await s.ProduceAsync("late");

        var job = Assert.Single(await WaitForEchoedAsync(s, 2));
        Assert.Equal(["early", "late"], Echoed(job));
    }

    [Fact]
    public async Task Filters_apply_to_each_message_before_batching()
    {
        var s = await TriggerScenario.CreateAsync(fixture.Api, fixture.Kafka);
        await s.CreateScriptAsync("u/test/echo_batch", "bun", EchoBatch);
        await s.CreateTriggerAsync("u/test/echo_batch", new { batch_size = 10, filters = new[] { new { key = "type", value = "order" } } });
        string[] orders = ["""{"type":"order","n":1}""", """{"type":"order","n":2}""", """{"type":"order","n":3}"""];
        await s.ProduceAsync(orders[0], """{"type":"refund","n":1}""", orders[1], """{"type":"refund","n":2}""", orders[2]);

        var jobs = await WaitForEchoedAsync(s, orders.Length);
        Assert.Equal(orders, jobs.Select(Echoed).OrderBy(batch => batch.First(), StringComparer.Ordinal).SelectMany(b => b));
        await Eventually.WaitAsync(() => s.Api.GetTriggerAsync(s.Ws, TriggerScenario.Trigger),
            t => (long)t["status"]!["messages_filtered"]! == 2, TimeSpan.FromSeconds(30), "both refunds to be filtered");
    }

    [Fact]
    public async Task Messages_already_in_a_stored_batch_are_skipped_when_read_again_even_if_the_batches_come_out_differently()
    {
        var s = await TriggerScenario.CreateAsync(fixture.Api, fixture.Kafka);
        await s.CreateScriptAsync("u/test/echo_batch", "bun", EchoBatch);
        await s.CreateTriggerAsync("u/test/echo_batch", new { batch_size = 2, batch_window_ms = 120_000 });
        await s.ProduceAsync("a", "b", "c");
        await WaitForEchoedAsync(s, 2); // [a, b]: full; c waits in an open batch
        await SetModeAsync(s, "disabled"); // stopping closes the open batch: [c]
        var before = await WaitForEchoedAsync(s, 3);
        Assert.Equal([["a", "b"], ["c"]], before.Select(j => Echoed(j).ToList()).OrderBy(b => b[0]));

        // The state a crash between storing jobs and committing their offsets leaves: the group's offsets behind the
        // stored jobs. Read again with room for three, the messages would make one new batch [a, b, c].
        var groupId = (string)(await s.Api.GetTriggerAsync(s.Ws, TriggerScenario.Trigger))["group_id"]!;
        using (var rewinder = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig { BootstrapServers = s.Kafka.BootstrapServers, GroupId = groupId, SessionTimeoutMs = 6000, EnableAutoCommit = false }).Build())
        {
            rewinder.Subscribe(s.Topic); // joins once the trigger's own member has left the group
            await Eventually.WaitAsync(() => Task.FromResult(rewinder.Consume(TimeSpan.FromMilliseconds(100)) is var _ && rewinder.Assignment.Count > 0),
                assigned => assigned, TimeSpan.FromSeconds(30), "the rewinder to join the group");
            rewinder.Commit([new TopicPartitionOffset(s.Topic, 0, 0)]);
            rewinder.Close();
        }
        using (var update = await s.Api.Http.PostAsJsonAsync($"/api/w/{s.Ws}/kafka_triggers/update/{TriggerScenario.Trigger}", new
        {
            path = TriggerScenario.Trigger, script_path = "u/test/echo_batch", kafka_resource_path = TriggerScenario.Resource,
            topics = new[] { s.Topic }, batch_size = 3, batch_window_ms = 120_000, mode = "enabled", auto_offset_reset = "earliest",
        }))
            update.EnsureSuccessStatusCode();

        var status = (await Eventually.WaitAsync(() => s.Api.GetTriggerAsync(s.Ws, TriggerScenario.Trigger),
            t => (long)t["status"]!["messages_received"]! >= 3, TimeSpan.FromSeconds(30), "the rewound messages to be read again"))["status"]!;
        Assert.Equal(3, (long)status["duplicates_skipped"]!);
        Assert.Equal(0, (long)status["jobs_created"]!);
        Assert.Equal(2, (await s.Api.ListJobsAsync(s.Ws, TriggerScenario.Trigger)).Count);
    }

    [Fact]
    public async Task A_failed_batch_is_retried_and_then_every_message_goes_to_the_dead_letter_topic_in_order()
    {
        var s = await TriggerScenario.CreateAsync(fixture.Api, fixture.Kafka);
        var deadLetters = $"dlq-{Guid.NewGuid():N}";
        fixture.Kafka.CreateTopic(deadLetters, 1);
        await s.CreateScriptAsync("u/test/picky", "bun", """
            export async function main(payloads: string[]) {
              const values = payloads.map(p => atob(p));
              if (values.some(v => v.startsWith("poison"))) throw new Error("a poisoned batch: " + values.join(","));
              return values;
            }
            """);
        await s.CreateTriggerAsync("u/test/picky", new
        {
            batch_size = 3, batch_window_ms = 120_000, dead_letter_topic = deadLetters, retry = new { constant = new { attempts = 1, seconds = 0 } },
        });
        using (var producer = new ProducerBuilder<string, string>(new ProducerConfig { BootstrapServers = s.Kafka.BootstrapServers }).Build())
            foreach (var (key, value) in new[] { ("k1", "good-1"), ("k2", "poison-2"), ("k3", "good-3") })
                await producer.ProduceAsync(s.Topic, new Message<string, string> { Key = key, Value = value });

        var failed = Assert.Single(await s.Api.WaitForFinishedJobsAsync(s.Ws, TriggerScenario.Trigger, 1));
        Assert.Equal("failure", (string?)failed["status"]);
        Assert.Equal(2, (int)failed["attempts"]!);

        using var consumer = new ConsumerBuilder<string, string>(new ConsumerConfig
        {
            BootstrapServers = s.Kafka.BootstrapServers, GroupId = $"dlq-reader-{Guid.NewGuid():N}", AutoOffsetReset = Confluent.Kafka.AutoOffsetReset.Earliest,
        }).Build();
        consumer.Subscribe(deadLetters);
        var dead = new List<ConsumeResult<string, string>>();
        await Eventually.WaitAsync(() =>
        {
            if (consumer.Consume(TimeSpan.FromMilliseconds(200)) is { } m) dead.Add(m);
            return Task.FromResult(dead.Count);
        }, n => n == 3, TimeSpan.FromSeconds(30), "three dead letters");
        Assert.Equal(["k1", "k2", "k3"], dead.Select(m => m.Message.Key));
        Assert.Equal(["good-1", "poison-2", "good-3"], dead.Select(m => m.Message.Value));
        Assert.All(dead, m => Assert.Equal((string?)failed["id"], System.Text.Encoding.UTF8.GetString(m.Message.Headers.GetLastBytes("x-orleans-triggers-job"))));
        consumer.Close();
    }

    [Theory]
    [InlineData("batch_size", 0, 0)]
    [InlineData("batch_size", 10_001, 0)]
    [InlineData("batch_window_ms", 1, -1)]
    [InlineData("batch_window_ms", 1, 300_001)]
    public async Task Batch_settings_out_of_range_are_refused_naming_the_field(string field, int batchSize, int windowMs)
    {
        var s = await TriggerScenario.CreateAsync(fixture.Api, fixture.Kafka);
        await s.CreateScriptAsync("u/test/echo_batch", "bun", EchoBatch);
        using var response = await s.Api.Http.PostAsJsonAsync($"/api/w/{s.Ws}/kafka_triggers/create", new
        {
            path = TriggerScenario.Trigger, script_path = "u/test/echo_batch", kafka_resource_path = TriggerScenario.Resource,
            topics = new[] { s.Topic }, batch_size = batchSize, batch_window_ms = windowMs,
        });
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(field, await response.Content.ReadAsStringAsync());
    }

    private static async Task SetModeAsync(TriggerScenario s, string mode)
    {
        using var response = await s.Api.Http.PostAsJsonAsync($"/api/w/{s.Ws}/kafka_triggers/setmode/{TriggerScenario.Trigger}", new { mode });
        response.EnsureSuccessStatusCode();
    }

    [Fact]
    public async Task A_backlog_of_large_messages_is_batched_by_bytes_as_well_as_by_count()
    {
        await using var silo = new SiloFactory(new Dictionary<string, string?> { ["Kafka:MaxBatchBytes"] = "4096" });
        var s = await TriggerScenario.CreateAsync(silo.CreateApiClient(), fixture.Kafka);
        await s.CreateScriptAsync("u/test/echo_batch", "bun", EchoBatch);
        // Up to 100 messages a job by count, and a long window: only the byte limit closes batches early.
        await s.CreateTriggerAsync("u/test/echo_batch", new { batch_size = 100, batch_window_ms = 2_000 });
        var produced = Enumerable.Range(0, 12).Select(i => $"{i:D2}{new string('x', 998)}").ToArray();
        await s.ProduceAsync(produced);

        var jobs = await WaitForEchoedAsync(s, produced.Length);
        // A batch closes at the message that takes it to 4,096 bytes or more: at most 5 of 1,000 bytes.
        Assert.All(jobs, j => Assert.InRange(Echoed(j).Count(), 1, 5));
        Assert.Equal(produced, jobs.Select(Echoed).OrderBy(batch => batch.First(), StringComparer.Ordinal).SelectMany(b => b));
    }
}
