using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Triggers.Tests.EndToEnd;
using Triggers.Tests.Infrastructure;

namespace Triggers.Tests.Api;

/// <summary>Scripts are versioned by hash as in Windmill: a new version names its parent, old ones stay readable, and
/// a trigger's jobs run the latest version and say which one they ran.</summary>
[Collection(EmbeddedSiloCollection.Name)]
public sealed class ScriptVersionTests(EmbeddedSiloFixture fixture)
{
    private static string Version(string tag) => $"export async function main(payload: string) {{ return \"{tag}:\" + atob(payload); }}";

    private static async Task<(HttpStatusCode Status, string Text)> SaveAsync(TriggerScenario s, string content, string? parentHash = null, string? message = null)
    {
        using var response = await s.Api.Http.PostAsJsonAsync($"/api/w/{s.Ws}/scripts/create",
            new { path = "u/test/versioned", language = "bun", content, parent_hash = parentHash, deployment_message = message });
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_new_version_names_its_parent_old_versions_stay_readable_and_history_lists_them_newest_first()
    {
        var s = await TriggerScenario.CreateAsync(fixture.Api, fixture.Kafka);
        var (created, h1) = await SaveAsync(s, Version("v1"), message: "first");
        Assert.Equal(HttpStatusCode.Created, created);
        Assert.Matches("^[0-9a-f]{16}$", h1);

        // Saving over it without naming the version it edits is refused, and says which version that is.
        var (noParent, why) = await SaveAsync(s, Version("v2"));
        Assert.Equal(HttpStatusCode.Conflict, noParent);
        Assert.Contains("parent_hash", why);
        Assert.Contains(h1, why);

        var (_, h2) = await SaveAsync(s, Version("v2"), parentHash: h1, message: "second");
        Assert.NotEqual(h1, h2);
        // An edit of v1 made without seeing v2 would undo it: 409, naming the latest.
        var (stale, staleWhy) = await SaveAsync(s, Version("v1-edited"), parentHash: h1);
        Assert.Equal(HttpStatusCode.Conflict, stale);
        Assert.Contains(h2, staleWhy);
        // Saving the same content again is still a new version.
        var (_, h3) = await SaveAsync(s, Version("v2"), parentHash: h2);
        Assert.NotEqual(h2, h3);

        var latest = (await s.Api.Http.GetFromJsonAsync<JsonObject>($"/api/w/{s.Ws}/scripts/get/p/u/test/versioned"))!;
        Assert.Equal(h3, (string?)latest["hash"]);
        Assert.Equal([h2, h1], latest["parent_hashes"]!.AsArray().Select(h => (string)h!));
        var first = (await s.Api.Http.GetFromJsonAsync<JsonObject>($"/api/w/{s.Ws}/scripts/get/h/{h1}"))!;
        Assert.Equal((Version("v1"), h1), ((string?)first["content"], (string?)first["hash"]));
        var history = (await s.Api.Http.GetFromJsonAsync<JsonArray>($"/api/w/{s.Ws}/scripts/history/p/u/test/versioned"))!;
        Assert.Equal([(h3, null), (h2, "second"), (h1, "first")],
            history.Select(v => ((string)v!["script_hash"]!, (string?)v["deployment_msg"])));

        using (var unknown = await s.Api.Http.GetAsync($"/api/w/{s.Ws}/scripts/get/h/0123456789abcdef"))
            Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        // Deleting the script deletes its versions.
        using (var delete = await s.Api.Http.PostAsync($"/api/w/{s.Ws}/scripts/delete/p/u/test/versioned", null)) delete.EnsureSuccessStatusCode();
        using (var gone = await s.Api.Http.GetAsync($"/api/w/{s.Ws}/scripts/get/h/{h1}"))
            Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
    }

    [Fact]
    public async Task A_listening_trigger_runs_each_new_version_from_its_next_message_and_jobs_record_the_hash_they_ran()
    {
        var s = await TriggerScenario.CreateAsync(fixture.Api, fixture.Kafka);
        var (_, h1) = await SaveAsync(s, Version("v1"));
        await s.CreateTriggerAsync("u/test/versioned");
        await s.ProduceAsync("m1");
        await s.Api.WaitForFinishedJobsAsync(s.Ws, TriggerScenario.Trigger, 1);

        // The trigger keeps listening while the script changes under it: no delete, no gap.
        var (_, h2) = await SaveAsync(s, Version("v2"), parentHash: h1);
        await s.ProduceAsync("m2");
        var jobs = await s.Api.WaitForFinishedJobsAsync(s.Ws, TriggerScenario.Trigger, 2);
        Assert.Equal([("v1:m1", h1), ("v2:m2", h2)],
            jobs.Select(j => ((string)j["result"]!, (string?)j["script_hash"])).OrderBy(j => j.Item1));
    }
}
