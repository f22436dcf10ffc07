using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Triggers.Tests.EndToEnd;
using Triggers.Tests.Infrastructure;

namespace Triggers.Tests.Api;

/// <summary>Windmill's capture routes: real Kafka payloads are caught for a script while an editor pings its capture.</summary>
[Collection(EmbeddedSiloCollection.Name)]
public sealed class CaptureTests(EmbeddedSiloFixture fixture)
{
    private static async Task<(HttpStatusCode Status, string Text)> PostAsync(TriggerScenario s, string route, object? body)
    {
        using var response = await s.Api.Http.PostAsJsonAsync($"/api/w/{s.Ws}/capture/{route}", body);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private static Task PingAsync(TriggerScenario s) => PostAsync(s, "ping_config/kafka/script/u/test/pre", null);

    private static async Task<JsonArray> ListAsync(TriggerScenario s) =>
        (await s.Api.Http.GetFromJsonAsync<JsonArray>($"/api/w/{s.Ws}/capture/list/script/u/test/pre?per_page=100"))!;

    private static async Task<JsonObject> ConfigAsync(TriggerScenario s) =>
        (await s.Api.Http.GetFromJsonAsync<JsonArray>($"/api/w/{s.Ws}/capture/get_configs/script/u/test/pre"))!.Single()!.AsObject();

    /// <summary>Pings (as an open editor does) until the capture's consumer has its partitions.</summary>
    private static Task ListeningAsync(TriggerScenario s) => Eventually.WaitAsync(async () => { await PingAsync(s); return await ConfigAsync(s); },
        c => c["error"] is null && c["last_server_ping"] is not null, TimeSpan.FromSeconds(30), "the capture to listen");

    private static string Payload(JsonNode capture) => Encoding.UTF8.GetString(Convert.FromBase64String((string)capture["main_args"]!["payload"]!));

    [Fact]
    public async Task A_pinged_capture_catches_new_messages_keeps_the_last_twenty_and_stops_without_pings()
    {
        var s = await TriggerScenario.CreateAsync(fixture.Api, fixture.Kafka);
        await s.CreateScriptAsync("u/test/pre", "bun", "export async function main(payload: string) { return payload; }");
        var (status, echoed) = await PostAsync(s, "set_config", new
        {
            trigger_kind = "kafka", path = "u/test/pre", is_flow = false,
            trigger_config = new { kafka_resource_path = TriggerScenario.Resource, topics = new[] { s.Topic }, group_id = "editor-group" },
        });
        Assert.True(status == HttpStatusCode.OK, echoed);
        Assert.Contains(s.Topic, echoed);

        await ListeningAsync(s);
        await s.ProduceAsync("m1", "m2");
        var caught = await Eventually.WaitAsync(async () => { await PingAsync(s); return await ListAsync(s); }, l => l.Count == 2,
            TimeSpan.FromSeconds(30), "two captures");
        Assert.Equal(["m2", "m1"], caught.Select(c => Payload(c!))); // newest first
        var @event = caught[0]!["preprocessor_args"]!["event"]!;
        Assert.Equal(("kafka", s.Topic, "u/test/pre"), ((string?)@event["kind"], (string?)@event["topic"], (string?)@event["trigger_path"]));
        Assert.Equal("kafka", (string?)caught[0]!["trigger_kind"]);

        // A captured event is what a preprocessor's dry run can take, by id.
        await s.CreateScriptAsync("u/test/dry", "bun", """
            export async function preprocessor(event: any) { return { text: atob(event.payload), offset: event.offset }; }
            export async function main(text: string, offset: number) { throw new Error("main ran"); }
            """);
        using (var dry = await s.Api.Http.PostAsJsonAsync($"/api/w/{s.Ws}/scripts/preprocess/p/u/test/dry", new { capture_id = (long)caught[1]!["id"]! }))
        {
            var answer = (await dry.Content.ReadFromJsonAsync<JsonObject>())!;
            Assert.True((bool)answer["success"]!, answer.ToJsonString());
            Assert.Equal("m1", (string?)answer["args"]!["text"]);
        }

        // A payload of 40 kB or more is listed as too big and read whole by id.
        await s.ProduceAsync(new string('x', 50_000));
        var listed = await Eventually.WaitAsync(async () => { await PingAsync(s); return await ListAsync(s); }, l => l.Count == 3, TimeSpan.FromSeconds(30), "the big capture");
        Assert.Equal("WINDMILL_TOO_BIG", (string?)listed[0]!["main_args"]);
        var whole = (await s.Api.Http.GetFromJsonAsync<JsonObject>($"/api/w/{s.Ws}/capture/{(long)listed[0]!["id"]!}"))!;
        Assert.Equal(50_000, Payload(whole).Length);
        using (var delete = await s.Api.Http.DeleteAsync($"/api/w/{s.Ws}/capture/{(long)listed[0]!["id"]!}")) delete.EnsureSuccessStatusCode();
        Assert.Equal(2, (await ListAsync(s)).Count);

        // Only the last 20 are kept.
        await s.ProduceAsync([.. Enumerable.Range(0, 25).Select(i => $"n{i}")]);
        var kept = await Eventually.WaitAsync(async () => { await PingAsync(s); return await ListAsync(s); },
            l => l.Count > 0 && Payload(l[0]!) == "n24", TimeSpan.FromSeconds(30), "the 25 new captures");
        Assert.Equal(Enumerable.Range(5, 20).Reverse().Select(i => $"n{i}"), kept.Select(c => Payload(c!)));

        // Without pings it stops listening; what is produced meanwhile is never caught (a new session starts at the end).
        await Eventually.WaitAsync(() => ConfigAsync(s), c => c["last_server_ping"] is null, TimeSpan.FromSeconds(30), "the capture to stop");
        await s.ProduceAsync("while-stopped");
        await ListeningAsync(s);
        await s.ProduceAsync("again");
        var after = await Eventually.WaitAsync(async () => { await PingAsync(s); return await ListAsync(s); },
            l => Payload(l[0]!) == "again", TimeSpan.FromSeconds(30), "the capture after the restart");
        Assert.DoesNotContain("while-stopped", after.Select(c => Payload(c!)));
    }

    [Fact]
    public async Task Bad_capture_requests_say_what_is_wrong()
    {
        var s = await TriggerScenario.CreateAsync(fixture.Api, fixture.Kafka);
        Assert.Equal(HttpStatusCode.BadRequest, (await PostAsync(s, "set_config", new { trigger_kind = "webhook", path = "u/test/pre", is_flow = false })).Status);
        var (status, why) = await PostAsync(s, "set_config", new { trigger_kind = "kafka", path = "u/test/pre", is_flow = false, trigger_config = new { kafka_resource_path = TriggerScenario.Resource } });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("trigger_config.topics", why);
        using var list = await s.Api.Http.GetAsync($"/api/w/{s.Ws}/capture/list/job/u/test/pre");
        Assert.Equal(HttpStatusCode.BadRequest, list.StatusCode);
        using var missing = await s.Api.Http.GetAsync($"/api/w/{s.Ws}/capture/123456");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }
}
