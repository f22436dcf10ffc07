using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Confluent.Kafka;
using Triggers.Tests.EndToEnd;
using Triggers.Tests.Infrastructure;
using Triggers.Triggers.Kafka;

namespace Triggers.Tests.Failures;

/// <summary>After the last attempt fails: error handlers (the trigger's over the workspace's) and the dead-letter topic.</summary>
[Collection(EmbeddedSiloCollection.Name)]
public sealed class ErrorHandlerTests(EmbeddedSiloFixture fixture)
{
    private const string Poisonable = """
        export async function main(payload: string) {
          const text = atob(payload);
          if (text.startsWith("poison")) throw new RangeError("cannot digest " + text);
          return text;
        }
        """;

    // A handler that reports every argument it got, so the test can read them from its result.
    private const string EchoHandler = """
        export async function main(error: any, path: string, is_flow: boolean, trigger_path: string, workspace_id: string,
                                   job_id: string, started_at: string, team: string, severity: string) {
          return { error, path, is_flow, trigger_path, workspace_id, job_id, started_at, team, severity };
        }
        """;

    private async Task<TriggerScenario> ScenarioWithHandlersAsync()
    {
        var s = await TriggerScenario.CreateAsync(fixture.Api, fixture.Kafka);
        await s.CreateScriptAsync("u/test/poisonable", "bun", Poisonable);
        await s.CreateScriptAsync("u/test/trigger_handler", "bun", EchoHandler);
        await s.CreateScriptAsync("u/test/workspace_handler", "bun", EchoHandler);
        using var response = await s.Api.Http.PostAsJsonAsync($"/api/w/{s.Ws}/workspaces/edit_error_handler",
            new { error_handler = "script/u/test/workspace_handler", error_handler_extra_args = new { severity = "page" } });
        response.EnsureSuccessStatusCode();
        return s;
    }

    private static async Task<JsonObject> HandlerJobOfAsync(TriggerScenario s, JsonObject failed) =>
        await Eventually.WaitAsync(() => s.Api.GetJobAsync(s.Ws, (string)failed["error_handler_job_id"]!),
            j => (string?)j["status"] is "success" or "failure", TimeSpan.FromSeconds(30), "the handler job to finish");

    [Fact]
    public async Task The_triggers_own_handler_overrides_the_workspaces_and_gets_the_documented_arguments()
    {
        var s = await ScenarioWithHandlersAsync();
        await s.CreateTriggerAsync("u/test/poisonable", new { error_handler_path = "u/test/trigger_handler", error_handler_args = new { team = "payments" } });

        await s.ProduceAsync("poison-1");

        var failed = Assert.Single(await s.Api.WaitForFinishedJobsAsync(s.Ws, TriggerScenario.Trigger, 1));
        var failedAgain = await Eventually.WaitAsync(() => s.Api.GetJobAsync(s.Ws, (string)failed["id"]!),
            j => j["error_handler_job_id"] is not null, TimeSpan.FromSeconds(30), "the failed job to link its handler");
        var handler = await HandlerJobOfAsync(s, failedAgain);

        Assert.Equal("u/test/trigger_handler", (string?)handler["script_path"]);
        Assert.Equal((string?)failed["id"], (string?)handler["failed_job_id"]);
        Assert.Equal("error_handler", (string?)handler["trigger_kind"]);
        var args = handler["result"]!.AsObject();
        Assert.Equal("RangeError", (string?)args["error"]!["name"]);
        Assert.Equal("cannot digest poison-1", (string?)args["error"]!["message"]);
        Assert.Equal("u/test/poisonable", (string?)args["path"]);
        Assert.False((bool)args["is_flow"]!);
        Assert.Equal(TriggerScenario.Trigger, (string?)args["trigger_path"]);
        Assert.Equal(s.Ws, (string?)args["workspace_id"]);
        Assert.Equal((string?)failed["id"], (string?)args["job_id"]);
        Assert.Equal((DateTimeOffset)failed["started_at"]!, (DateTimeOffset)args["started_at"]!);
        Assert.Equal("payments", (string?)args["team"]);
        Assert.Null(args["severity"]); // the workspace's extra args belong to the workspace's handler
    }

    [Fact]
    public async Task Without_a_handler_of_its_own_a_trigger_uses_the_workspace_handler()
    {
        var s = await ScenarioWithHandlersAsync();
        await s.CreateTriggerAsync("u/test/poisonable");

        await s.ProduceAsync("poison-2");

        var failed = Assert.Single(await s.Api.WaitForFinishedJobsAsync(s.Ws, TriggerScenario.Trigger, 1));
        failed = await Eventually.WaitAsync(() => s.Api.GetJobAsync(s.Ws, (string)failed["id"]!),
            j => j["error_handler_job_id"] is not null, TimeSpan.FromSeconds(30), "the failed job to link its handler");
        var handler = await HandlerJobOfAsync(s, failed);
        Assert.Equal("u/test/workspace_handler", (string?)handler["script_path"]);
        Assert.Equal("page", (string?)handler["result"]!["severity"]);
    }

    [Fact]
    public async Task A_failing_handler_does_not_start_another_handler()
    {
        var s = await TriggerScenario.CreateAsync(fixture.Api, fixture.Kafka);
        await s.CreateScriptAsync("u/test/poisonable", "bun", Poisonable);
        await s.CreateScriptAsync("u/test/broken_handler", "bun", "export async function main(error: any) { throw new Error('the handler broke too'); }");
        await s.CreateTriggerAsync("u/test/poisonable", new { error_handler_path = "u/test/broken_handler" });

        await s.ProduceAsync("poison-3");

        var failed = Assert.Single(await s.Api.WaitForFinishedJobsAsync(s.Ws, TriggerScenario.Trigger, 1));
        failed = await Eventually.WaitAsync(() => s.Api.GetJobAsync(s.Ws, (string)failed["id"]!),
            j => j["error_handler_job_id"] is not null, TimeSpan.FromSeconds(30), "the failed job to link its handler");
        var handler = await HandlerJobOfAsync(s, failed);
        Assert.Equal("failure", (string?)handler["status"]);
        Assert.Null(handler["error_handler_job_id"]);
        var all = await s.Api.Http.GetFromJsonAsync<List<JsonObject>>($"/api/w/{s.Ws}/jobs/list?per_page=100");
        Assert.Equal(2, all!.Count); // the failed job and its handler, nothing more
    }

    [Fact]
    public async Task A_finally_failed_message_goes_to_the_dead_letter_topic_unchanged_with_headers_and_good_ones_do_not()
    {
        var s = await TriggerScenario.CreateAsync(fixture.Api, fixture.Kafka);
        var deadLetters = $"dlq-{Guid.NewGuid():N}";
        fixture.Kafka.CreateTopic(deadLetters, 1);
        await s.CreateScriptAsync("u/test/poisonable", "bun", Poisonable);
        await s.CreateTriggerAsync("u/test/poisonable", new { dead_letter_topic = deadLetters, retry = new { constant = new { attempts = 1, seconds = 0 } } });

        using (var producer = new ProducerBuilder<string, string>(new ProducerConfig { BootstrapServers = s.Kafka.BootstrapServers }).Build())
        {
            await producer.ProduceAsync(s.Topic, new Message<string, string> { Key = "k1", Value = "good-1" });
            await producer.ProduceAsync(s.Topic, new Message<string, string>
            {
                Key = "k2", Value = "poison-4", Headers = new Headers { { "origin", "checkout"u8.ToArray() } },
            });
            await producer.ProduceAsync(s.Topic, new Message<string, string> { Key = "k3", Value = "good-2" });
        }

        var jobs = await s.Api.WaitForFinishedJobsAsync(s.Ws, TriggerScenario.Trigger, 3);
        var failed = Assert.Single(jobs, j => (string?)j["status"] == "failure");
        Assert.Equal(2, (int)failed["attempts"]!);

        using var consumer = new ConsumerBuilder<string, string>(new ConsumerConfig
        {
            BootstrapServers = s.Kafka.BootstrapServers, GroupId = $"dlq-reader-{Guid.NewGuid():N}", AutoOffsetReset = Confluent.Kafka.AutoOffsetReset.Earliest,
        }).Build();
        consumer.Subscribe(deadLetters);
        var dead = await Eventually.WaitAsync(() => Task.FromResult(consumer.Consume(TimeSpan.FromMilliseconds(200))),
            m => m is not null, TimeSpan.FromSeconds(30), "the dead letter");
        Assert.Equal("k2", dead.Message.Key);
        Assert.Equal("poison-4", dead.Message.Value);
        string Header(string name) => System.Text.Encoding.UTF8.GetString(dead.Message.Headers.GetLastBytes(name));
        Assert.Equal("checkout", Header("origin"));
        Assert.Equal(TriggerScenario.Trigger, Header(DeadLetterProducer.TriggerHeader));
        Assert.Equal((string?)failed["id"], Header(DeadLetterProducer.JobHeader));
        Assert.Equal("RangeError: cannot digest poison-4", Header(DeadLetterProducer.ErrorHeader));
        Assert.Null(consumer.Consume(TimeSpan.FromSeconds(1))); // only the poison message is dead-lettered
        consumer.Close();
    }
}
