using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Triggers.Tests.EndToEnd;
using Triggers.Tests.Infrastructure;

namespace Triggers.Tests.Api;

/// <summary>A preprocessor's dry run answers the arguments main would get for an event, in a real runtime, without
/// running main.</summary>
[Collection(EmbeddedSiloCollection.Name)]
public sealed class PreprocessDryRunTests(EmbeddedSiloFixture fixture)
{
    private readonly string _ws = $"pp-{Guid.NewGuid():N}"[..20];

    private static readonly JsonObject Event = new()
    {
        ["kind"] = "kafka", ["payload"] = TestProducer.Base64("alice"), ["topic"] = "orders", ["partition"] = 3, ["offset"] = 41,
    };

    private async Task<(HttpStatusCode Status, JsonObject? Body, string Text)> DryRunAsync(string path, JsonNode body)
    {
        using var response = await fixture.Api.Http.PostAsJsonAsync($"/api/w/{_ws}/scripts/preprocess/p/{path}", body);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, response.IsSuccessStatusCode ? JsonNode.Parse(text)!.AsObject() : null, text);
    }

    [Theory]
    [InlineData("bun", """
        export async function preprocessor(event: any) {
          console.log("preprocessing", event.offset);
          return { name: atob(event.payload), partition: event.partition, ignored: true };
        }
        export async function main(name: string, partition: number) { throw new Error("main ran"); }
        """)]
    [InlineData("python3", """
        import base64

        def preprocessor(event):
            print("preprocessing", event["offset"])
            return {"name": base64.b64decode(event["payload"]).decode(), "partition": event["partition"], "ignored": True}

        def main(name: str, partition: int):
            raise RuntimeError("main ran")
        """)]
    public async Task The_answer_is_what_main_would_get_and_main_does_not_run(string language, string script)
    {
        await fixture.Api.CreateWorkspaceAsync(_ws);
        await fixture.Api.CreateScriptAsync(_ws, "u/test/pre", language, script);

        var (status, body, text) = await DryRunAsync("u/test/pre", Event);
        Assert.True(status == HttpStatusCode.OK, text);
        Assert.True((bool)body!["success"]!, text);
        // Bound to main's parameters, as a real run would be: "ignored" is not one of them.
        Assert.Equal(("alice", 3, false), ((string?)body["args"]!["name"], (int)body["args"]!["partition"]!, body["args"]!.AsObject().ContainsKey("ignored")));
        Assert.Contains("preprocessing 41", (string?)body["logs"]);
        var job = await fixture.Api.GetJobAsync(_ws, (string)body["job_id"]!);
        Assert.Equal(("success", "preprocess"), ((string?)job["status"], (string?)job["job_kind"]));
    }

    [Fact]
    public async Task A_failing_preprocessor_answers_its_error_and_starts_no_handler_and_bad_requests_say_why()
    {
        await fixture.Api.CreateWorkspaceAsync(_ws);
        await fixture.Api.CreateScriptAsync(_ws, "u/test/handler", "bun", "export async function main(error: any) { return 'handled'; }");
        using (var handler = await fixture.Api.Http.PostAsJsonAsync($"/api/w/{_ws}/workspaces/edit_error_handler", new { error_handler = "script/u/test/handler" }))
            handler.EnsureSuccessStatusCode();
        await fixture.Api.CreateScriptAsync(_ws, "u/test/throws", "bun", """
            export async function preprocessor(event: any) { throw new Error(`cannot read ${event.topic}`); }
            export async function main(payload: string) { return payload; }
            """);
        await fixture.Api.CreateScriptAsync(_ws, "u/test/plain", "bun", "export async function main(payload: string) { return payload; }");
        await fixture.Api.CreateScriptAsync(_ws, "u/test/fails", "bun", "export async function main() { throw new Error('real failure'); }");

        var (_, failed, text) = await DryRunAsync("u/test/throws", Event);
        Assert.False((bool)failed!["success"]!, text);
        Assert.Equal("cannot read orders", (string?)failed["error"]!["message"]);
        // A dry run's failure is its answer: the workspace's error handler is not started for it. A real failure queued
        // after it does get the handler, and by then a handler for the dry run would have been queued first.
        using (var run = await fixture.Api.Http.PostAsJsonAsync($"/api/w/{_ws}/jobs/run/p/u/test/fails", new { }))
        {
            var id = await run.Content.ReadAsStringAsync();
            await Eventually.WaitAsync(() => fixture.Api.GetJobAsync(_ws, id), j => j["error_handler_job_id"] is not null, TimeSpan.FromSeconds(30), "the real failure's handler");
        }
        var handled = (await fixture.Api.ListJobsAsync(_ws)).Where(j => (string?)j["script_path"] == "u/test/handler").ToList();
        Assert.Single(handled);
        Assert.Null((await fixture.Api.GetJobAsync(_ws, (string)failed["job_id"]!))["error_handler_job_id"]);

        var (noPreprocessor, _, why) = await DryRunAsync("u/test/plain", Event);
        Assert.Equal(HttpStatusCode.BadRequest, noPreprocessor);
        Assert.Contains("no preprocessor", why);
        Assert.Equal(HttpStatusCode.NotFound, (await DryRunAsync("u/test/missing", Event)).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await DryRunAsync("u/test/throws", JsonValue.Create("not an event")!)).Status);
    }
}
