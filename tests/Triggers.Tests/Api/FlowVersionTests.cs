using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Triggers.Tests.EndToEnd;
using Triggers.Tests.Infrastructure;

namespace Triggers.Tests.Api;

/// <summary>Flows are versioned as in Windmill: every save is a version readable later, and a flow job says which ran.</summary>
[Collection(EmbeddedSiloCollection.Name)]
public sealed class FlowVersionTests(EmbeddedSiloFixture fixture)
{
    private readonly string _ws = $"fv-{Guid.NewGuid():N}"[..20];

    private static object Flow(string tag, string? message = null) => new
    {
        path = "u/test/flow", summary = tag, deployment_message = message,
        value = new { modules = new[] { new { id = "a", value = new { type = "rawscript", language = "bun", content = $"export async function main() {{ return \"{tag}\"; }}" } } } },
    };

    private async Task<JsonObject> RunAsync()
    {
        using var run = await fixture.Api.Http.PostAsJsonAsync($"/api/w/{_ws}/jobs/run/f/u/test/flow", new { });
        var id = await run.Content.ReadAsStringAsync();
        return await Eventually.WaitAsync(() => fixture.Api.GetJobAsync(_ws, id), j => (string?)j["status"] is "success" or "failure", TimeSpan.FromSeconds(30), "the flow job");
    }

    [Fact]
    public async Task Each_save_is_a_version_readable_by_id_the_history_lists_them_and_jobs_record_the_version_they_ran()
    {
        await fixture.Api.CreateWorkspaceAsync(_ws);
        using (var create = await fixture.Api.Http.PostAsJsonAsync($"/api/w/{_ws}/flows/create", Flow("v1", "first"))) create.EnsureSuccessStatusCode();
        var v1 = (long)(await fixture.Api.Http.GetFromJsonAsync<JsonObject>($"/api/w/{_ws}/flows/get/u/test/flow"))!["version_id"]!;
        var first = await RunAsync();
        Assert.Equal(("v1", v1.ToString()), ((string?)first["result"], (string?)first["script_hash"]));

        using (var update = await fixture.Api.Http.PostAsJsonAsync($"/api/w/{_ws}/flows/update/u/test/flow", Flow("v2", "second"))) update.EnsureSuccessStatusCode();
        var latest = (await fixture.Api.Http.GetFromJsonAsync<JsonObject>($"/api/w/{_ws}/flows/get/u/test/flow"))!;
        var v2 = (long)latest["version_id"]!;
        Assert.True(v2 > v1);
        Assert.Equal([v1], latest["previous_versions"]!.AsArray().Select(v => (long)v!));
        var old = (await fixture.Api.Http.GetFromJsonAsync<JsonObject>($"/api/w/{_ws}/flows/get/v/{v1}/p/u/test/flow"))!;
        Assert.Equal("v1", (string?)old["summary"]);
        var history = (await fixture.Api.Http.GetFromJsonAsync<JsonArray>($"/api/w/{_ws}/flows/history/p/u/test/flow"))!;
        Assert.Equal([(v2, "second"), (v1, "first")], history.Select(h => ((long)h!["id"]!, (string?)h["deployment_msg"])));

        var second = await RunAsync();
        Assert.Equal(("v2", v2.ToString()), ((string?)second["result"], (string?)second["script_hash"]));
        // The first job still says what it ran.
        Assert.Equal(v1.ToString(), (string?)(await fixture.Api.GetJobAsync(_ws, (string)first["id"]!))["script_hash"]);

        using (var delete = await fixture.Api.Http.DeleteAsync($"/api/w/{_ws}/flows/delete/u/test/flow")) delete.EnsureSuccessStatusCode();
        using var gone = await fixture.Api.Http.GetAsync($"/api/w/{_ws}/flows/get/v/{v1}/p/u/test/flow");
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
    }
}
