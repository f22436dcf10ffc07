using System.Text.Json.Nodes;
using Confluent.Kafka;
using Triggers.Tests.Infrastructure;

namespace Triggers.Tests.EndToEnd;

/// <summary>
/// A trigger's <c>ordering</c>: with <c>partition</c> a partition's jobs run one after another in offset order, with
/// <c>key</c> each key's do while different keys run side by side; a failing job holds the ones after it through its
/// retries. The silo has two worker slots, so without ordering these jobs would overlap.
/// </summary>
[Collection(EmbeddedSiloCollection.Name)]
public sealed class OrderingTests(EmbeddedSiloFixture fixture)
{
    // The payload is "name:milliseconds"; the job sleeps that long and answers its name.
    private const string Sleeper = """
        export async function main(payload: string) {
          const [name, ms] = atob(payload).split(":");
          await Bun.sleep(Number(ms));
          return name;
        }
        """;

    private readonly string _marker = JobStateServer.Shared.NewKey("ordering");

    private static async Task ProduceAsync(TriggerScenario s, params (string? Key, string Value)[] messages)
    {
        using var producer = new ProducerBuilder<string?, string>(new ProducerConfig { BootstrapServers = s.Kafka.BootstrapServers }).Build();
        foreach (var (key, value) in messages)
            await producer.ProduceAsync(new TopicPartition(s.Topic, 0), new Message<string?, string> { Key = key, Value = value });
    }

    private static DateTimeOffset Started(JsonObject job) => (DateTimeOffset)job["started_at"]!;
    private static DateTimeOffset Completed(JsonObject job) => (DateTimeOffset)job["completed_at"]!;

    private static JsonObject Job(List<JsonObject> jobs, string name) => jobs.Single(j => (string?)j["result"] == name);

    [Fact]
    public async Task With_partition_ordering_each_job_starts_after_the_one_before_it_in_the_partition_finished()
    {
        var s = await TriggerScenario.CreateAsync(fixture.Api, fixture.Kafka);
        await s.CreateScriptAsync("u/test/sleeper", "bun", Sleeper);
        await s.CreateTriggerAsync("u/test/sleeper", new { ordering = "partition" });
        Assert.Equal("partition", (string?)(await s.Api.GetTriggerAsync(s.Ws, TriggerScenario.Trigger))["ordering"]);
        string[] names = ["a", "b", "c", "d", "e", "f"];
        await ProduceAsync(s, [.. names.Zip([400, 50, 250, 10, 150, 10], (n, ms) => ((string?)null, $"{n}:{ms}"))]);

        var jobs = await s.Api.WaitForFinishedJobsAsync(s.Ws, TriggerScenario.Trigger, names.Length);
        for (var i = 1; i < names.Length; i++)
            Assert.True(Started(Job(jobs, names[i])) >= Completed(Job(jobs, names[i - 1])),
                $"{names[i]} started at {Started(Job(jobs, names[i])):O}, before {names[i - 1]} completed at {Completed(Job(jobs, names[i - 1])):O}");
    }

    [Fact]
    public async Task With_key_ordering_a_keys_jobs_wait_for_each_other_while_other_keys_run_alongside()
    {
        var s = await TriggerScenario.CreateAsync(fixture.Api, fixture.Kafka);
        await s.CreateScriptAsync("u/test/sleeper", "bun", Sleeper);
        await s.CreateTriggerAsync("u/test/sleeper", new { ordering = "key" });
        await ProduceAsync(s, ("alice", "a1:1500"), ("bob", "b1:10"), ("alice", "a2:10"), ("bob", "b2:10"));

        var jobs = await s.Api.WaitForFinishedJobsAsync(s.Ws, TriggerScenario.Trigger, 4);
        Assert.True(Started(Job(jobs, "a2")) >= Completed(Job(jobs, "a1")), "a2 ran before a1 finished");
        Assert.True(Started(Job(jobs, "b2")) >= Completed(Job(jobs, "b1")), "b2 ran before b1 finished");
        // bob's jobs did not wait for alice's slow first one.
        Assert.True(Completed(Job(jobs, "b2")) < Completed(Job(jobs, "a1")), "bob's jobs waited for alice's");
    }

    [Fact]
    public async Task A_failing_job_holds_its_partition_through_its_retries()
    {
        var s = await TriggerScenario.CreateAsync(fixture.Api, fixture.Kafka);
        // Fails its first run (leaving a marker), then succeeds; the others just answer.
        await s.CreateScriptAsync("u/test/flaky", "bun", $$"""
            export async function main(payload: string) {
              const name = atob(payload);
              if (name === "first" && (await fetch("{{_marker}}")).status === 404) { await fetch("{{_marker}}", { method: "PUT", body: "failed once" }); throw new Error("first run fails"); }
              return name;
            }
            """);
        await s.CreateTriggerAsync("u/test/flaky", new { ordering = "partition", retry = new { constant = new { attempts = 1, seconds = 1 } } });
        await ProduceAsync(s, (null, "first"), (null, "second"));

        var jobs = await s.Api.WaitForFinishedJobsAsync(s.Ws, TriggerScenario.Trigger, 2);
        var first = Job(jobs, "first");
        Assert.Equal(2, (int)first["attempts"]!);
        Assert.True(Started(Job(jobs, "second")) >= Completed(first), "second ran while first was waiting for its retry");
    }

    [Fact]
    public async Task Key_ordering_with_batches_is_refused_with_a_reason()
    {
        var s = await TriggerScenario.CreateAsync(fixture.Api, fixture.Kafka);
        await s.CreateScriptAsync("u/test/sleeper", "bun", Sleeper);
        using var response = await s.Api.Http.PostAsync($"/api/w/{s.Ws}/kafka_triggers/create", new StringContent(
            $$"""{"path": "u/test/batched", "script_path": "u/test/sleeper", "kafka_resource_path": "{{TriggerScenario.Resource}}", "topics": ["{{s.Topic}}"], "ordering": "key", "batch_size": 10}""",
            System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("ordering", await response.Content.ReadAsStringAsync());
    }
}
