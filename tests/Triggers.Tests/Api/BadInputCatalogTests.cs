using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;
using Triggers.Tests.EndToEnd;
using Triggers.Tests.Infrastructure;

namespace Triggers.Tests.Api;

/// <summary>
/// A catalogue of bad requests, one per row: each is answered with a 4xx problem detail that says what is wrong and,
/// where a field is to blame, names it; none is a 500. docs/RELIABILITY.md counts the rows.
/// </summary>
[Collection(EmbeddedSiloCollection.Name)]
public sealed class BadInputCatalogTests(EmbeddedSiloFixture fixture) : IAsyncLifetime
{
    private readonly string _ws = $"cat-{Guid.NewGuid():N}"[..20];

    public async Task InitializeAsync()
    {
        await fixture.Api.CreateWorkspaceAsync(_ws);
        await fixture.Api.CreateKafkaResourceAsync(_ws, "u/test/kafka", fixture.Kafka.BootstrapServers);
        await fixture.Api.CreateScriptAsync(_ws, "u/test/echo", "bun", "export async function main(payload: string) { return payload; }");
        await fixture.Api.CreateTriggerAsync(_ws, JsonNode.Parse(ValidTrigger)!.AsObject());
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private const string ValidTrigger =
        """{"path": "u/test/existing", "script_path": "u/test/echo", "kafka_resource_path": "u/test/kafka", "topics": ["orders"], "mode": "disabled"}""";

    /// <summary>A valid trigger (at a new path) with <paramref name="overrides"/>'s properties replacing its own.</summary>
    private static string Trigger(string overrides)
    {
        var trigger = JsonNode.Parse(ValidTrigger)!.AsObject();
        trigger["path"] = "u/test/new";
        foreach (var (name, value) in JsonNode.Parse(overrides)!.AsObject()) trigger[name] = value?.DeepClone();
        return trigger.ToJsonString();
    }

    private static string Long(char c, int length) => new(c, length);

    private static string ManyModules(int count) =>
        string.Join(", ", Enumerable.Range(0, count).Select(n => $$$"""{"id": "m{{{n}}}", "value": {"type": "script", "path": "u/test/echo"}}"""));

    /// <summary>Method, route under <c>/api/w/{ws}</c> (or <c>/api</c> when it starts with <c>/api</c>), body, expected status, field.</summary>
    public static TheoryData<string, string, string?, int, string?> Cases => new()
    {
        // Kafka triggers: wrong types and nulls
        { "POST", "kafka_triggers/create", Trigger("""{"kafka_resource_path": 123}"""), 400, "kafka_resource_path" },
        { "POST", "kafka_triggers/create", Trigger("""{"kafka_resource_path": null}"""), 400, "kafka_resource_path" },
        { "POST", "kafka_triggers/create", Trigger("""{"topics": "orders"}"""), 400, "topics" },
        { "POST", "kafka_triggers/create", Trigger("""{"topics": [null]}"""), 400, "topics" },
        { "POST", "kafka_triggers/create", Trigger("""{"topics": [123]}"""), 400, "topics[0]" },
        { "POST", "kafka_triggers/create", Trigger("""{"topics": null}"""), 400, "topics" },
        { "POST", "kafka_triggers/create", Trigger("""{"filters": {"key": "a", "value": 1}}"""), 400, "filters" },
        { "POST", "kafka_triggers/create", Trigger("""{"filters": [{"key": 1, "value": "x"}]}"""), 400, "filters[0].key" },
        { "POST", "kafka_triggers/create", Trigger("""{"filters": [{"key": "", "value": "x"}]}"""), 400, "filters[0]" },
        { "POST", "kafka_triggers/create", Trigger("""{"filters": [{"any_of": [{"path": "a.", "value": 1}]}]}"""), 400, "filters[0].any_of[0]" },
        { "POST", "kafka_triggers/create", Trigger("""{"filter_logic": "xor"}"""), 400, "filter_logic" },
        { "POST", "kafka_triggers/create", Trigger("""{"retry": "fast"}"""), 400, "retry" },
        { "POST", "kafka_triggers/create", Trigger("""{"retry": {"constant": {"attempts": 101, "seconds": 1}}}"""), 400, "retry.constant" },
        { "POST", "kafka_triggers/create", Trigger("""{"retry": {"constant": {"attempts": -1, "seconds": 1}}}"""), 400, "retry.constant" },
        { "POST", "kafka_triggers/create", Trigger("""{"retry": {"constant": {"attempts": 2, "seconds": -5}}}"""), 400, "retry.constant" },
        { "POST", "kafka_triggers/create", Trigger("""{"retry": {"exponential": {"attempts": 3, "multiplier": -2, "seconds": 1}}}"""), 400, "retry.exponential" },
        { "POST", "kafka_triggers/create", Trigger("""{"batch_size": 0}"""), 400, "batch_size" },
        { "POST", "kafka_triggers/create", Trigger("""{"batch_size": "ten"}"""), 400, "batch_size" },
        { "POST", "kafka_triggers/create", Trigger("""{"batch_window_ms": -1}"""), 400, "batch_window_ms" },
        { "POST", "kafka_triggers/create", Trigger("""{"mode": "paused"}"""), 400, "mode" },
        { "POST", "kafka_triggers/create", Trigger("""{"auto_offset_reset": "middle"}"""), 400, "auto_offset_reset" },
        { "POST", "kafka_triggers/create", Trigger("""{"is_flow": "yes"}"""), 400, "is_flow" },
        { "POST", "kafka_triggers/create", Trigger("""{"path": null}"""), 400, "path" },
        { "POST", "kafka_triggers/create", Trigger("""{"script_path": null}"""), 400, "script_path" },
        { "POST", "kafka_triggers/create", Trigger("""{"error_handler_path": "u/test/missing"}"""), 400, "error_handler_path" },
        { "POST", "kafka_triggers/create", Trigger("""{"error_handler_args": "not an object"}"""), 400, "error_handler_args" },
        { "POST", "kafka_triggers/create", Trigger("""{"labels": ["a,b"]}"""), 400, "labels" },
        { "POST", "kafka_triggers/create", Trigger("""{"labels": [""]}"""), 400, "labels" },
        { "POST", "kafka_triggers/create", Trigger("""{"enabled": "yes"}"""), 400, "enabled" },
        // Kafka triggers: sizes and conflicts
        { "POST", "kafka_triggers/create", Trigger($$"""{"topics": [{{string.Join(", ", Enumerable.Range(0, 101).Select(n => $"\"t{n}\""))}}]}"""), 400, "topics" },
        { "POST", "kafka_triggers/create", Trigger($$"""{"topics": ["{{Long('t', 250)}}"]}"""), 400, "topics" },
        { "POST", "kafka_triggers/create", Trigger($$"""{"group_id": "{{Long('g', 256)}}"}"""), 400, "group_id" },
        { "POST", "kafka_triggers/create", Trigger($$"""{"path": "u/test/{{Long('p', 256)}}"}"""), 400, "path" },
        { "POST", "kafka_triggers/create", Trigger("""{"topics": ["^orders.*"], "dead_letter_topic": "orders-dlq"}"""), 400, "dead_letter_topic" },
        { "POST", "kafka_triggers/create", Trigger("""{"topics": ["orders"], "dead_letter_topic": "orders"}"""), 400, "dead_letter_topic" },
        { "POST", "kafka_triggers/create", Trigger("""{"path": "u/test/existing"}"""), 409, null },
        // Kafka triggers: bodies that are not an object
        { "POST", "kafka_triggers/create", "[]", 400, null },
        { "POST", "kafka_triggers/create", "null", 400, null },
        { "POST", "kafka_triggers/create", "", 400, null },
        { "POST", "kafka_triggers/create", "\"a string\"", 400, null },
        // Kafka triggers: other routes
        { "POST", "kafka_triggers/update/u/test/missing", Trigger("""{"path": "u/test/missing"}"""), 404, null },
        { "GET", "kafka_triggers/get/u/test/missing", null, 404, null },
        { "DELETE", "kafka_triggers/delete/u/test/missing", null, 404, null },
        { "GET", "kafka_triggers/get/not-a-path", null, 400, "path" },
        { "POST", "kafka_triggers/setmode/u/test/existing", """{"mode": 5}""", 400, "mode" },
        { "POST", "kafka_triggers/setmode/u/test/existing", """{"mode": "sleeping"}""", 400, "mode" },
        { "POST", "kafka_triggers/setmode/u/test/existing", "{}", 400, "mode" },
        { "POST", "kafka_triggers/setmode/u/test/missing", """{"mode": "enabled"}""", 404, null },
        { "POST", "kafka_triggers/reset_offsets/u/test/existing", """{"offset": "middle"}""", 400, "offset" },
        { "POST", "kafka_triggers/test", """{"connection": 5}""", 400, "connection" },
        { "POST", "kafka_triggers/test", "{}", 400, "connection" },
        // Scripts
        { "POST", "scripts/create", """{"path": "u/test/s", "language": "bun", "content": null}""", 400, "content" },
        { "POST", "scripts/create", """{"path": "u/test/s", "language": "bun"}""", 400, "content" },
        { "POST", "scripts/create", """{"path": "u/test/s", "language": "cobol", "content": "x"}""", 400, "language" },
        { "POST", "scripts/create", """{"path": "u/test/s", "language": 5, "content": "x"}""", 400, "language" },
        { "POST", "scripts/create", """{"path": 7, "language": "bun", "content": "x"}""", 400, "path" },
        { "POST", "scripts/create", $$"""{"path": "u/test/s", "language": "bash", "content": "echo {{Long('x', (1 << 20) + 1)}}"}""", 400, "content" },
        { "GET", "scripts/get/p/u/test/missing", null, 404, null },
        // Flows
        { "POST", "flows/create", """{"path": "f/test/f", "value": null}""", 400, "value" },
        { "POST", "flows/create", """{"path": "f/test/f", "value": {"modules": [null]}}""", 400, "value.modules[0]" },
        { "POST", "flows/create", """{"path": "f/test/f", "value": {"modules": [{"id": "a", "value": null}]}}""", 400, "value.modules[0].value" },
        { "POST", "flows/create", """{"path": "f/test/f", "value": {"modules": [{"id": "a", "value": {"type": "rawscript", "language": "bun", "content": "export function main(a: number) {}", "input_transforms": {"a": null}}}]}}""", 400, "value.modules[0].value.input_transforms.a" },
        { "POST", "flows/create", """{"path": "f/test/f", "value": {"modules": [{"id": "a", "value": {"type": "mystery"}}]}}""", 400, "value.modules[0].value.type" },
        { "POST", "flows/create", $$$"""{"path": "f/test/f", "value": {"modules": [{{{ManyModules(501)}}}]}}""", 400, "value.modules" },
        // Resources
        { "POST", "resources/create", """{"path": "u/test/r", "resource_type": "kafka", "value": "k:9092"}""", 400, "value" },
        { "POST", "resources/create", """{"path": "u/test/r", "resource_type": null, "value": {}}""", 400, "resource_type" },
        { "POST", "resources/create", """{"path": "u/test/r", "resource_type": "kafka", "value": {"brokers": "k:9092", "security": {"label": "PLAINTEXT"}}}""", 400, "value.brokers" },
        { "POST", "resources/create", """{"path": "u/test/r", "resource_type": "kafka", "value": {"brokers": [null], "security": {"label": "PLAINTEXT"}}}""", 400, "value.brokers" },
        { "GET", "resources/get/u/test/missing", null, 404, null },
        // Jobs
        { "POST", "jobs/run/p/u/test/echo", "[]", 400, "body" },
        { "POST", "jobs/run/p/u/test/missing", "{}", 404, null },
        { "GET", "jobs/list?status=bogus", null, 400, "status" },
        { "GET", "jobs/list?page=abc", null, 400, "page" },
        { "GET", "jobs_u/get/not-a-guid", null, 400, "id" },
        { "GET", $"jobs_u/get/{Guid.Empty}", null, 404, null },
        // Workspaces
        { "POST", "/api/workspaces/create", """{"id": "bad id!"}""", 400, "id" },
        { "POST", "/api/workspaces/create", """{"id": 5}""", 400, "id" },
        { "POST", "/api/workspaces/create", "{}", 400, "id" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task A_bad_request_gets_a_problem_naming_what_is_wrong(string method, string route, string? body, int status, string? field)
    {
        var url = route.StartsWith("/api", StringComparison.Ordinal) ? route : $"/api/w/{_ws}/{route}";
        using var request = new HttpRequestMessage(new HttpMethod(method), url);
        if (body is not null) request.Content = new StringContent(body, Encoding.UTF8, "application/json");

        using var response = await fixture.Api.Http.SendAsync(request);

        var text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == status, $"expected {status}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonNode.Parse(text)!;
        Assert.False(string.IsNullOrWhiteSpace((string?)problem["detail"]), "the problem says what is wrong");
        if (field is not null) Assert.True((string?)problem["field"] == field, $"expected field {field}: {text}");
    }

    [Fact]
    public async Task A_group_id_another_trigger_uses_is_a_conflict_in_any_workspace_until_that_trigger_is_gone()
    {
        var other = $"cat-{Guid.NewGuid():N}"[..20];
        await fixture.Api.CreateWorkspaceAsync(other);
        await fixture.Api.CreateKafkaResourceAsync(other, "u/test/kafka", fixture.Kafka.BootstrapServers);
        await fixture.Api.CreateScriptAsync(other, "u/test/echo", "bun", "export async function main(payload: string) { return payload; }");
        var group = $"shared-{Guid.NewGuid():N}";
        var trigger = JsonNode.Parse(Trigger($$"""{"group_id": "{{group}}"}"""))!;
        using (var first = await fixture.Api.Http.PostAsJsonAsync($"/api/w/{_ws}/kafka_triggers/create", trigger))
            Assert.Equal(HttpStatusCode.Created, first.StatusCode);

        using (var taken = await fixture.Api.Http.PostAsJsonAsync($"/api/w/{other}/kafka_triggers/create", trigger))
        {
            Assert.Equal(HttpStatusCode.Conflict, taken.StatusCode);
            var detail = (string?)(await taken.Content.ReadFromJsonAsync<JsonObject>())!["detail"];
            Assert.Contains("another workspace", detail);
            Assert.DoesNotContain(_ws, detail); // the other workspace's trigger is not named
        }

        using (var deleted = await fixture.Api.Http.DeleteAsync($"/api/w/{_ws}/kafka_triggers/delete/u/test/new"))
            deleted.EnsureSuccessStatusCode();
        using var free = await fixture.Api.Http.PostAsJsonAsync($"/api/w/{other}/kafka_triggers/create", trigger);
        Assert.Equal(HttpStatusCode.Created, free.StatusCode);
    }

    [Fact]
    public async Task Looking_up_paths_that_hold_nothing_leaves_no_trigger_activations_behind()
    {
        var management = fixture.Silo.Services.GetRequiredService<IGrainFactory>().GetGrain<IManagementGrain>(0);
        async Task<int> TriggerActivationsAsync() => (await management.GetSimpleGrainStatistics())
            .Where(s => s.GrainType.Contains("KafkaTriggerGrain", StringComparison.Ordinal)).Sum(s => s.ActivationCount);
        var before = await TriggerActivationsAsync();

        for (var i = 0; i < 30; i++)
        {
            using var get = await fixture.Api.Http.GetAsync($"/api/w/{_ws}/kafka_triggers/get/u/nobody/t{i}");
            Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
            using var exists = await fixture.Api.Http.GetAsync($"/api/w/{_ws}/kafka_triggers/exists/u/nobody/e{i}");
            using var setmode = await fixture.Api.Http.PostAsJsonAsync($"/api/w/{_ws}/kafka_triggers/setmode/u/nobody/s{i}", new { mode = "enabled" });
            Assert.Equal(HttpStatusCode.NotFound, setmode.StatusCode);
        }

        await Eventually.WaitAsync(TriggerActivationsAsync, count => count <= before, TimeSpan.FromSeconds(30),
            "the 90 lookups' activations to go away");
    }
}
