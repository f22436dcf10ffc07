using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Triggers.Tests.EndToEnd;
using Triggers.Tests.Infrastructure;

namespace Triggers.Tests.Failures;

/// <summary>Re-drive: a trigger's failed jobs run again with their original messages, as the same jobs.</summary>
[Collection(EmbeddedSiloCollection.Name)]
public sealed class RedriveTests(EmbeddedSiloFixture fixture)
{
    // The downstream system a script depends on: down until the test "fixes" it by setting this key.
    private readonly string _fixed = JobStateServer.Shared.NewKey("redrive-fixed");

    private string Script => $$"""
        export async function main(payload: string) {
          const text = atob(payload);
          if (text.startsWith("bad") && (await fetch("{{_fixed}}")).status === 404) throw new Error(`cannot handle ${text} yet`);
          return text;
        }
        """;

    private static async Task<(HttpStatusCode Status, JsonObject? Body, string Text)> RedriveAsync(TriggerScenario s, object? body)
    {
        using var response = await s.Api.Http.PostAsJsonAsync($"/api/w/{s.Ws}/kafka_triggers/redrive/{TriggerScenario.Trigger}", body);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, response.IsSuccessStatusCode ? JsonNode.Parse(text)!.AsObject() : null, text);
    }

    [Fact]
    public async Task Failed_jobs_run_again_with_their_messages_chosen_by_id_or_all_and_keep_their_ids_and_history()
    {
        var s = await TriggerScenario.CreateAsync(fixture.Api, fixture.Kafka);
        await s.CreateScriptAsync("u/test/downstream", "bun", Script);
        await s.CreateTriggerAsync("u/test/downstream", new { auto_offset_reset = "earliest" });
        await s.ProduceAsync("ok-1", "bad-1", "bad-2");
        var first = await s.Api.WaitForFinishedJobsAsync(s.Ws, TriggerScenario.Trigger, 3);
        string IdOf(string payload) => (string)first.Single(j => (string?)j["args"]!["payload"] == TestProducer.Base64(payload))["id"]!;
        Assert.Equal(2, first.Count(j => (string?)j["status"] == "failure"));

        // One chosen job, while the downstream system is still down: it runs once more and fails again.
        var (status, one, text) = await RedriveAsync(s, new { job_ids = new[] { IdOf("bad-1") } });
        Assert.True(status == HttpStatusCode.OK, text);
        Assert.Equal(1, (int)one!["redriven"]!);
        var again = await Eventually.WaitAsync(() => s.Api.GetJobAsync(s.Ws, IdOf("bad-1")),
            j => (string?)j["status"] == "failure" && (int)j["attempts"]! == 2, TimeSpan.FromSeconds(30), "bad-1 to run again");
        Assert.Equal(2, again["attempt_history"]!.AsArray().Count);
        Assert.Equal(1, (int)(await s.Api.GetJobAsync(s.Ws, IdOf("bad-2")))["attempts"]!);

        // Fixed: all failed jobs run again, and succeed.
        JobStateServer.Shared.Set(_fixed, "up");
        var (_, all, _) = await RedriveAsync(s, new { status = "failure" });
        Assert.Equal([IdOf("bad-1"), IdOf("bad-2")], all!["job_ids"]!.AsArray().Select(id => (string)id!).Order());
        foreach (var (payload, attempts) in new[] { ("bad-1", 3), ("bad-2", 2) })
        {
            var job = await Eventually.WaitAsync(() => s.Api.GetJobAsync(s.Ws, IdOf(payload)),
                j => (string?)j["status"] == "success", TimeSpan.FromSeconds(30), $"{payload} to succeed");
            Assert.Equal((payload, attempts), ((string?)job["result"], (int)job["attempts"]!));
            Assert.Null(job["error"]);
        }
        Assert.Equal(1, (int)(await s.Api.GetJobAsync(s.Ws, IdOf("ok-1")))["attempts"]!);
        Assert.Equal(3, (await s.Api.ListJobsAsync(s.Ws, TriggerScenario.Trigger)).Count); // the same jobs, no new ones

        Assert.Equal(0, (int)(await RedriveAsync(s, new { }))!.Body!["redriven"]!);
    }

    [Fact]
    public async Task Redrive_takes_only_failed_jobs_and_since_and_says_what_is_wrong_otherwise()
    {
        var s = await TriggerScenario.CreateAsync(fixture.Api, fixture.Kafka);
        await s.CreateScriptAsync("u/test/downstream", "bun", Script);
        await s.CreateTriggerAsync("u/test/downstream", new { auto_offset_reset = "earliest" });
        await s.ProduceAsync("bad-1");
        await s.Api.WaitForFinishedJobsAsync(s.Ws, TriggerScenario.Trigger, 1);

        var (status, _, text) = await RedriveAsync(s, new { status = "success" });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("status", text);
        Assert.Equal(0, (int)(await RedriveAsync(s, new { since = DateTimeOffset.UtcNow.AddMinutes(1) })).Body!["redriven"]!);
        Assert.Equal(1, (int)(await RedriveAsync(s, new { since = DateTimeOffset.UtcNow.AddMinutes(-5) })).Body!["redriven"]!);

        using var missing = await s.Api.Http.PostAsJsonAsync($"/api/w/{s.Ws}/kafka_triggers/redrive/u/test/none", new { });
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }
}
