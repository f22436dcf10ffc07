using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Triggers.Tests.EndToEnd;
using Triggers.Tests.Infrastructure;
using Xunit;

namespace Triggers.Tests.Security;

/// <summary>Named API tokens through the real API of a silo: each limited to a role and to workspaces.</summary>
[Collection(EmbeddedSiloCollection.Name)]
public sealed class ScopedTokenTests(EmbeddedSiloFixture fixture)
{
    private const string Script = "export async function main(payload: string) { return payload; }";

    [Fact]
    public async Task A_token_is_answered_once_listed_without_its_secret_stored_as_a_hash_and_refused_once_deleted()
    {
        var s = await TriggerScenario.CreateAsync(fixture.Api, fixture.Kafka);
        var token = await CreateTokenAsync(new { label = "reader", role = "viewer" });
        using var other = Client(await CreateTokenAsync(new { label = "other reader", role = "viewer" }));

        var list = await fixture.Api.Http.GetStringAsync("/api/tokens/list");
        var listed = JsonNode.Parse(list)!.AsArray().Single(t => (string?)t!["token_prefix"] == token[..10])!;
        using var reader = Client(token);
        var allowed = await reader.GetAsync($"/api/w/{s.Ws}/scripts/list");
        using var delete = await fixture.Api.Http.DeleteAsync($"/api/tokens/delete/{token[..10]}");
        var afterDelete = await reader.GetAsync($"/api/w/{s.Ws}/scripts/list");
        var otherAfterDelete = await other.GetAsync($"/api/w/{s.Ws}/scripts/list");

        Assert.Equal(32, token.Length);
        Assert.Equal("reader", (string?)listed["label"]);
        Assert.Equal("viewer", (string?)listed["role"]);
        Assert.DoesNotContain(token, list);
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        Assert.Equal(HttpStatusCode.OK, delete.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, afterDelete.StatusCode);
        Assert.Equal(HttpStatusCode.OK, otherAfterDelete.StatusCode);
    }

    [Fact]
    public async Task Each_role_may_do_what_it_names_and_a_403_names_the_missing_right()
    {
        var s = await TriggerScenario.CreateAsync(fixture.Api, fixture.Kafka);
        await s.CreateScriptAsync("u/test/echo", "bun", Script);
        await s.CreateTriggerAsync("u/test/echo");
        using var viewer = Client(await CreateTokenAsync(new { label = "viewer", role = "viewer", workspaces = new[] { s.Ws } }));
        using var operatorClient = Client(await CreateTokenAsync(new { label = "operator", role = "operator", workspaces = new[] { s.Ws } }));
        using var developer = Client(await CreateTokenAsync(new { label = "developer", role = "developer", workspaces = new[] { s.Ws } }));
        using var admin = Client(await CreateTokenAsync(new { label = "cluster admin", role = "admin" }));
        var setMode = $"/api/w/{s.Ws}/kafka_triggers/setmode/{TriggerScenario.Trigger}";
        object NewScript(string path) => new { path, language = "bun", content = Script, summary = "", description = "" };

        // Viewer: reads, nothing else.
        Assert.Equal(HttpStatusCode.OK, (await viewer.GetAsync($"/api/w/{s.Ws}/kafka_triggers/get/{TriggerScenario.Trigger}")).StatusCode);
        await AssertForbiddenAsync(await viewer.PostAsJsonAsync(setMode, new { mode = "disabled" }), "needs the operator role");
        await AssertForbiddenAsync(await viewer.PostAsJsonAsync($"/api/w/{s.Ws}/scripts/create", NewScript("u/test/by_viewer")), "needs the developer role");
        // Operator: changes modes, but not what runs.
        Assert.Equal(HttpStatusCode.OK, (await operatorClient.PostAsJsonAsync(setMode, new { mode = "disabled" })).StatusCode);
        await AssertForbiddenAsync(await operatorClient.PostAsJsonAsync($"/api/w/{s.Ws}/scripts/create", NewScript("u/test/by_operator")), "needs the developer role");
        // Developer: edits its workspace, but not the cluster's own routes.
        Assert.Equal(HttpStatusCode.Created, (await developer.PostAsJsonAsync($"/api/w/{s.Ws}/scripts/create", NewScript("u/test/by_developer"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await developer.PostAsJsonAsync(setMode, new { mode = "enabled" })).StatusCode);
        await AssertForbiddenAsync(await developer.PostAsJsonAsync("/api/workspaces/create", new { id = $"w{Guid.NewGuid():N}"[..12] }), "cannot use routes outside them");
        // A developer for every workspace still may not touch the cluster's own routes.
        using var everywhere = Client(await CreateTokenAsync(new { label = "developer everywhere", role = "developer" }));
        await AssertForbiddenAsync(await everywhere.PostAsJsonAsync("/api/workspaces/create", new { id = $"w{Guid.NewGuid():N}"[..12] }), "needs the admin role");
        await AssertForbiddenAsync(await everywhere.GetAsync("/api/tokens/list"), "needs the admin role");
        await AssertForbiddenAsync(await everywhere.GetAsync("/dashboard/"), "needs the admin role");
        // Admin for every workspace: the cluster's routes and the dashboard too.
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/api/tokens/list")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/dashboard/")).StatusCode);
    }

    [Fact]
    public async Task An_item_changed_with_a_token_records_the_tokens_label_as_edited_by()
    {
        var s = await TriggerScenario.CreateAsync(fixture.Api, fixture.Kafka);
        await s.CreateScriptAsync("u/test/echo", "bun", Script);
        using var deployer = Client(await CreateTokenAsync(new { label = "ci-deployer", role = "developer", workspaces = new[] { s.Ws } }));

        using var created = await deployer.PostAsJsonAsync($"/api/w/{s.Ws}/kafka_triggers/create", new
        {
            path = "u/test/deployed", script_path = "u/test/echo", kafka_resource_path = TriggerScenario.Resource, topics = new[] { s.Topic },
        });
        var byToken = await fixture.Api.Http.GetFromJsonAsync<JsonObject>($"/api/w/{s.Ws}/kafka_triggers/get/u/test/deployed");
        await s.CreateTriggerAsync("u/test/echo");
        var byAdmin = await fixture.Api.Http.GetFromJsonAsync<JsonObject>($"/api/w/{s.Ws}/kafka_triggers/get/{TriggerScenario.Trigger}");

        Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync());
        Assert.Equal("ci-deployer", (string?)byToken!["edited_by"]);
        Assert.Equal("admin", (string?)byAdmin!["edited_by"]);
    }

    [Fact]
    public async Task A_token_limited_to_workspaces_is_refused_in_any_other()
    {
        var mine = await TriggerScenario.CreateAsync(fixture.Api, fixture.Kafka);
        var other = await TriggerScenario.CreateAsync(fixture.Api, fixture.Kafka);
        using var client = Client(await CreateTokenAsync(new { label = "team", role = "developer", workspaces = new[] { mine.Ws } }));

        var listed = await client.GetFromJsonAsync<JsonArray>("/api/workspaces/list");

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/api/w/{mine.Ws}/scripts/list")).StatusCode);
        await AssertForbiddenAsync(await client.GetAsync($"/api/w/{other.Ws}/scripts/list"), $"may not use workspace '{other.Ws}'");
        Assert.Equal([mine.Ws], listed!.Select(w => (string)w!["id"]!));
        await AssertForbiddenAsync(await client.GetAsync("/api/dev_kafka"), "cannot use routes outside them");
    }

    [Fact]
    public async Task A_token_stops_working_when_it_expires_and_bad_requests_name_their_field()
    {
        var s = await TriggerScenario.CreateAsync(fixture.Api, fixture.Kafka);
        using var client = Client(await CreateTokenAsync(new { label = "brief", role = "viewer", expiration = DateTimeOffset.UtcNow.AddSeconds(5) }));

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/api/w/{s.Ws}/scripts/list")).StatusCode);
        await Eventually.WaitAsync(() => client.GetAsync($"/api/w/{s.Ws}/scripts/list"), r => r.StatusCode == HttpStatusCode.Unauthorized,
            TimeSpan.FromSeconds(30), "the expired token to be refused");
        foreach (var (body, field) in new (object, string)[]
        {
            (new { label = "x", role = "superuser" }, "role"),
            (new { label = "x", role = "operator,developer" }, "role"), // an enum parser would make that admin
            (new { label = "admin", role = "viewer" }, "label"), // edited_by could not tell it from the admin token
            (new { label = "system", role = "viewer" }, "label"), // nor from the silo's own changes
            (new { label = "job 42", role = "viewer" }, "label"), // nor from a job's token
            (new { label = "Admin", role = "viewer" }, "label"), // whatever the case,
            (new { label = "ad\u200Bmin", role = "viewer" }, "label"), // an invisible character inside,
            (new { label = "\uFF41\uFF44\uFF4D\uFF49\uFF4E", role = "viewer" }, "label"), // full-width letters,
            (new { label = "ádmin", role = "viewer" }, "label"), // accents
            (new { label = "JOB\u00A07", role = "viewer" }, "label"), // or another space
            (new { label = "", role = "viewer" }, "label"),
            (new { label = "x", role = "viewer", workspaces = Array.Empty<string>() }, "workspaces"),
            (new { label = "x", role = "viewer", expiration = DateTimeOffset.UtcNow.AddMinutes(-1) }, "expiration"),
        })
        {
            using var refused = await fixture.Api.Http.PostAsJsonAsync("/api/tokens/create", body);
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Equal(field, (string?)JsonNode.Parse(await refused.Content.ReadAsStringAsync())!["field"]);
        }
    }

    [Fact]
    public async Task The_workspace_error_handler_needs_an_admin_token_not_a_developers_or_a_jobs()
    {
        var s = await TriggerScenario.CreateAsync(fixture.Api, fixture.Kafka);
        using var developer = Client(await CreateTokenAsync(new { label = "dev", role = "developer", workspaces = new[] { s.Ws } }));
        var body = new { error_handler = "script/u/test/handler" };

        await AssertForbiddenAsync(await developer.PostAsJsonAsync($"/api/w/{s.Ws}/workspaces/edit_error_handler", body), "needs the admin role");
        using var byAdmin = await fixture.Api.Http.PostAsJsonAsync($"/api/w/{s.Ws}/workspaces/edit_error_handler", body);
        Assert.True(byAdmin.IsSuccessStatusCode, await byAdmin.Content.ReadAsStringAsync());
    }

    private async Task<string> CreateTokenAsync(object request)
    {
        using var response = await fixture.Api.Http.PostAsJsonAsync("/api/tokens/create", request);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }

    private HttpClient Client(string token)
    {
        var client = fixture.Silo.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    private static async Task AssertForbiddenAsync(HttpResponseMessage response, string reason)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"expected 403, got {(int)response.StatusCode}: {body}");
        Assert.Contains(reason, body);
    }
}
