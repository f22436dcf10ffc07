using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Triggers.Tests.EndToEnd;
using Triggers.Tests.Infrastructure;

namespace Triggers.Tests.Api;

/// <summary>
/// Kafka-trigger routes behave as Windmill's do (backend/windmill-trigger's handler), driven with the bodies and
/// queries Windmill's clients send.
/// </summary>
[Collection(EmbeddedSiloCollection.Name)]
public sealed class WindmillParityTests(EmbeddedSiloFixture fixture) : IAsyncLifetime
{
    private readonly string _ws = $"wm-{Guid.NewGuid():N}"[..20];
    private HttpClient Http => fixture.Api.Http;

    public async Task InitializeAsync()
    {
        await fixture.Api.CreateWorkspaceAsync(_ws);
        await fixture.Api.CreateKafkaResourceAsync(_ws, "u/test/kafka", fixture.Kafka.BootstrapServers);
        await fixture.Api.CreateScriptAsync(_ws, "u/test/a", "bun", "export async function main(payload: string) { return payload; }");
        await fixture.Api.CreateScriptAsync(_ws, "u/test/b", "bun", "export async function main(payload: string) { return payload; }");
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private static JsonObject Trigger(string path, string script = "u/test/a", object? extra = null)
    {
        var trigger = new JsonObject
        {
            ["path"] = path, ["script_path"] = script, ["is_flow"] = false, ["kafka_resource_path"] = "u/test/kafka",
            ["topics"] = new JsonArray("parity"),
        };
        foreach (var (key, value) in System.Text.Json.JsonSerializer.SerializeToNode(extra ?? new { })!.AsObject()) trigger[key] = value?.DeepClone();
        return trigger;
    }

    private async Task<string> PostAsync(string route, JsonObject body, HttpStatusCode expected = HttpStatusCode.OK)
    {
        using var response = await Http.PostAsJsonAsync($"/api/w/{_ws}/kafka_triggers/{route}", body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{route}: {(int)response.StatusCode} {text}");
        return text;
    }

    private async Task<JsonObject> GetAsync(string path) => (await Http.GetFromJsonAsync<JsonObject>($"/api/w/{_ws}/kafka_triggers/get/{path}"))!;

    [Fact]
    public async Task An_update_without_mode_keeps_the_stored_mode_and_the_legacy_enabled_flag_sets_it()
    {
        await PostAsync("create", Trigger("u/test/t", extra: new { enabled = false }), HttpStatusCode.Created);
        Assert.Equal("disabled", (string?)(await GetAsync("u/test/t"))["mode"]);

        Assert.Equal("Trigger 'u/test/t' updated", await PostAsync("update/u/test/t", Trigger("u/test/t", script: "u/test/b")));
        var updated = await GetAsync("u/test/t");
        Assert.Equal(("disabled", "u/test/b"), ((string?)updated["mode"], (string?)updated["script_path"]));

        await PostAsync("update/u/test/t", Trigger("u/test/t", extra: new { enabled = true }));
        Assert.Equal("enabled", (string?)(await GetAsync("u/test/t"))["mode"]);
        // mode wins over enabled when both are given.
        await PostAsync("update/u/test/t", Trigger("u/test/t", extra: new { mode = "suspended", enabled = true }));
        Assert.Equal("suspended", (string?)(await GetAsync("u/test/t"))["mode"]);
    }

    [Fact]
    public async Task Without_auto_offset_reset_a_new_trigger_starts_at_the_latest_offset()
    {
        await PostAsync("create", Trigger("u/test/latest", extra: new { mode = "disabled" }), HttpStatusCode.Created);
        Assert.Equal("latest", (string?)(await GetAsync("u/test/latest"))["auto_offset_reset"]);
    }

    [Fact]
    public async Task Update_delete_and_setmode_answer_with_windmills_texts_and_setmode_takes_force()
    {
        await PostAsync("create", Trigger("u/test/texts", extra: new { mode = "disabled" }), HttpStatusCode.Created);

        Assert.Equal("Trigger 'u/test/texts' suspended", await PostAsync("setmode/u/test/texts", new JsonObject { ["mode"] = "suspended", ["force"] = true }));
        Assert.Equal("Trigger 'u/test/texts' disabled", await PostAsync("setmode/u/test/texts", new JsonObject { ["mode"] = "disabled" }));
        using var delete = await Http.DeleteAsync($"/api/w/{_ws}/kafka_triggers/delete/u/test/texts");
        Assert.Equal((HttpStatusCode.OK, "Trigger 'u/test/texts' deleted"), (delete.StatusCode, await delete.Content.ReadAsStringAsync()));
    }

    [Fact]
    public async Task List_filters_by_runnable_flow_path_prefix_and_labels_pages_and_shows_the_newest_edit_first()
    {
        foreach (var (path, script, labels) in new[] { ("u/test/a1", "u/test/a", new[] { "prod" }), ("u/test/a2", "u/test/a", new[] { "prod", "eu" }), ("u/test/b1", "u/test/b", Array.Empty<string>()) })
            await PostAsync("create", Trigger(path, script, new { mode = "disabled", labels }), HttpStatusCode.Created);
        await PostAsync("update/u/test/a1", Trigger("u/test/a1", extra: new { topics = new[] { "parity", "more" }, labels = new[] { "prod" } })); // now the newest edit

        async Task<List<string>> ListAsync(string query) =>
            (await Http.GetFromJsonAsync<List<JsonObject>>($"/api/w/{_ws}/kafka_triggers/list?{query}"))!.Select(t => (string)t["path"]!).ToList();

        Assert.Equal(["u/test/a1", "u/test/b1", "u/test/a2"], await ListAsync(""));
        Assert.Equal(["u/test/a1", "u/test/a2"], await ListAsync("path=u/test/a"));
        Assert.Equal(["u/test/b1"], await ListAsync("path_start=u/test/b"));
        Assert.Empty(await ListAsync("is_flow=true"));
        Assert.Equal(["u/test/b1"], await ListAsync("per_page=1&page=2"));
        Assert.Equal(["u/test/a2"], await ListAsync("label=prod,eu"));
        Assert.Equal(["u/test/a1", "u/test/a2"], await ListAsync("label=prod"));
        var listed = (await Http.GetFromJsonAsync<List<JsonObject>>($"/api/w/{_ws}/kafka_triggers/list?per_page=1"))![0];
        Assert.Equal("admin", (string?)listed["edited_by"]);
        Assert.True((DateTimeOffset)listed["edited_at"]! > DateTimeOffset.UtcNow.AddMinutes(-5));
    }
}
