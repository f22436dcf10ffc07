using System.Text.Json.Nodes;
using Triggers.Tests.Infrastructure;

namespace Triggers.Tests.EndToEnd;

/// <summary>A Kafka message becomes a job that runs the trigger's script in a real runtime.</summary>
[Collection(EmbeddedSiloCollection.Name)]
public sealed class MessageToJobTests(EmbeddedSiloFixture fixture)
{
    private TriggersApiClient Api => fixture.Api;

    private async Task<(string Ws, string Topic)> SetUpAsync(string language, string script, object? extra = null)
    {
        var ws = $"ws-{Guid.NewGuid():N}"[..20];
        var topic = $"t-{Guid.NewGuid():N}";
        fixture.Kafka.CreateTopic(topic, 2);
        await Api.CreateWorkspaceAsync(ws);
        await Api.CreateKafkaResourceAsync(ws, "u/test/kafka", fixture.Kafka.BootstrapServers);
        await Api.CreateScriptAsync(ws, "u/test/handler", language, script);
        var trigger = JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(new
        {
            path = "u/test/trigger",
            script_path = "u/test/handler",
            kafka_resource_path = "u/test/kafka",
            topics = new[] { topic },
        }))!.AsObject();
        if (extra is not null)
            foreach (var (k, v) in JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(extra))!.AsObject())
                trigger[k] = v?.DeepClone();
        await Api.CreateTriggerAsync(ws, trigger);
        return (ws, topic);
    }

    [Theory]
    [InlineData("bun", "export async function main(payload: string) { return { got: atob(payload) }; }")]
    [InlineData("python3", "import base64\ndef main(payload: str):\n    return {'got': base64.b64decode(payload).decode()}\n")]
    public async Task Each_message_runs_the_script_with_its_base64_payload(string language, string script)
    {
        var (ws, topic) = await SetUpAsync(language, script);
        var trigger = await Api.WaitUntilListeningAsync(ws, "u/test/trigger");
        Assert.Equal($"trigger-{ws}-u__test__trigger", (string?)trigger["group_id"]);
        Assert.Equal("earliest", (string?)trigger["auto_offset_reset"]);

        await TestProducer.ProduceAsync(fixture.Kafka.BootstrapServers, topic, "one", "two", "three");

        var jobs = await Api.WaitForFinishedJobsAsync(ws, "u/test/trigger", 3);
        Assert.All(jobs, j => Assert.Equal("success", (string?)j["status"]));
        Assert.Equal(["one", "three", "two"], jobs.Select(j => (string)j["result"]!["got"]!).Order());
        Assert.All(jobs, j => Assert.Equal("kafka", (string?)j["trigger_kind"]));
        Assert.Equal(["one", "three", "two"], jobs.Select(j => TriggersApiClient.Decode(j["args"]!["payload"])).Order());
    }

    [Fact]
    public async Task A_bash_script_gets_the_payload_as_its_first_argument()
    {
        var (ws, topic) = await SetUpAsync("bash", "payload=\"$1\"\necho \"decoding\"\necho \"\\\"$(echo \"$payload\" | base64 -d)\\\"\"\n");
        await Api.WaitUntilListeningAsync(ws, "u/test/trigger");

        await TestProducer.ProduceAsync(fixture.Kafka.BootstrapServers, topic, "hello");

        var job = Assert.Single(await Api.WaitForFinishedJobsAsync(ws, "u/test/trigger", 1));
        Assert.Equal("success", (string?)job["status"]);
        Assert.Equal("hello", (string?)job["result"]);
        Assert.Contains("decoding", (string?)job["logs"]);
    }

    [Fact]
    public async Task A_preprocessor_turns_the_event_into_mains_arguments()
    {
        const string script = """
            export async function preprocessor(event: { kind: string; payload: string; topic: string; partition: number; offset: number }) {
              if (event.kind !== "kafka") throw new Error("expected a kafka event");
              const msg = JSON.parse(atob(event.payload));
              return { message_content: msg.content, topic: event.topic, offset: event.offset };
            }
            export async function main(message_content: string, topic: string, offset: number) {
              console.log("handling", message_content);
              return `${message_content}@${topic}`;
            }
            """;
        var (ws, topic) = await SetUpAsync("bun", script);
        await Api.WaitUntilListeningAsync(ws, "u/test/trigger");

        await TestProducer.ProduceAsync(fixture.Kafka.BootstrapServers, topic, """{"content":"order-42"}""");

        var job = Assert.Single(await Api.WaitForFinishedJobsAsync(ws, "u/test/trigger", 1));
        Assert.Equal("success", (string?)job["status"]);
        Assert.Equal($"order-42@{topic}", (string?)job["result"]);
        Assert.Equal("order-42", (string?)job["args"]!["message_content"]);
        Assert.Equal(topic, (string?)job["args"]!["topic"]);
        Assert.Equal(0, (int)job["args"]!["offset"]!);
        Assert.Contains("handling order-42", (string?)job["logs"]);
    }

    [Fact]
    public async Task A_script_that_throws_fails_its_job_and_the_trigger_goes_on()
    {
        const string script = """
            export async function main(payload: string) {
              const text = atob(payload);
              if (text === "poison") throw new TypeError("cannot handle " + text);
              return text;
            }
            """;
        var (ws, topic) = await SetUpAsync("bun", script);
        await Api.WaitUntilListeningAsync(ws, "u/test/trigger");

        await TestProducer.ProduceAsync(fixture.Kafka.BootstrapServers, topic, ["good-1", "poison", "good-2"], partition: 0);

        var jobs = await Api.WaitForFinishedJobsAsync(ws, "u/test/trigger", 3);
        var failed = Assert.Single(jobs, j => (string?)j["status"] == "failure");
        Assert.Equal("TypeError", (string?)failed["error"]!["name"]);
        Assert.Equal("cannot handle poison", (string?)failed["error"]!["message"]);
        Assert.Equal(["good-1", "good-2"], jobs.Where(j => (string?)j["status"] == "success").Select(j => (string)j["result"]!).Order());
        var trigger = await Api.GetTriggerAsync(ws, "u/test/trigger");
        Assert.Equal("listening", (string?)trigger["status"]!["state"]);
    }
}
