using System.Text.Json;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Triggers.Tests.EndToEnd;
using Triggers.Tests.Infrastructure;

namespace Triggers.Tests.Api;

/// <summary>Bad input is answered with a problem-details body that names the field and the fix.</summary>
[Collection(EmbeddedSiloCollection.Name)]
public sealed class BadInputTests(EmbeddedSiloFixture fixture) : IAsyncLifetime
{
    private readonly string _ws = $"bad-{Guid.NewGuid():N}"[..20];
    private HttpClient Http => fixture.Api.Http;

    public async Task InitializeAsync()
    {
        await fixture.Api.CreateWorkspaceAsync(_ws);
        await fixture.Api.CreateKafkaResourceAsync(_ws, "u/test/kafka", fixture.Kafka.BootstrapServers);
        await fixture.Api.CreateScriptAsync(_ws, "u/test/echo", "bun", "export async function main(payload: string) { return payload; }");
        using var other = await Http.PostAsJsonAsync($"/api/w/{_ws}/resources/create",
            new { path = "u/test/not_kafka", resource_type = "postgresql", value = new { host = "db" } });
        other.EnsureSuccessStatusCode();
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private static object Trigger(string? path = "u/test/trigger", string? script = "u/test/echo", string? resource = "u/test/kafka",
        string[]? topics = null, string? groupId = null) =>
        new { path, script_path = script, kafka_resource_path = resource, topics = topics ?? ["orders"], group_id = groupId };

    private static async Task<JsonObject> ProblemAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        Assert.Equal(expected, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.False(string.IsNullOrWhiteSpace((string?)problem["detail"]), "the problem says what is wrong");
        return problem;
    }

    private async Task<JsonObject> CreateTriggerProblemAsync(object trigger, string field)
    {
        using var response = await Http.PostAsJsonAsync($"/api/w/{_ws}/kafka_triggers/create", trigger);
        var problem = await ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal(field, (string?)problem["field"]);
        return problem;
    }

    [Fact]
    public async Task An_unknown_resource_is_named_with_how_to_create_it()
    {
        var problem = await CreateTriggerProblemAsync(Trigger(resource: "u/test/missing"), "kafka_resource_path");
        Assert.Contains("u/test/missing", (string?)problem["detail"]);
        Assert.Contains("resources/create", (string?)problem["detail"]);
    }

    [Fact]
    public async Task A_resource_of_another_type_is_refused() =>
        Assert.Contains("not 'kafka'", (string?)(await CreateTriggerProblemAsync(Trigger(resource: "u/test/not_kafka"), "kafka_resource_path"))["detail"]);

    [Fact]
    public async Task An_unknown_script_is_named() =>
        Assert.Contains("u/test/nope", (string?)(await CreateTriggerProblemAsync(Trigger(script: "u/test/nope"), "script_path"))["detail"]);

    [Theory]
    [InlineData(new string[0], "at least one topic")]
    [InlineData(new[] { "" }, "must not be empty")]
    [InlineData(new[] { "has space" }, "not a valid Kafka topic")]
    [InlineData(new[] { "^([unclosed" }, "not a valid topic pattern")]
    public async Task Empty_or_invalid_topics_are_refused(string[] topics, string message) =>
        Assert.Contains(message, (string?)(await CreateTriggerProblemAsync(Trigger(topics: topics), "topics"))["detail"]);

    [Fact]
    public async Task An_invalid_group_id_is_refused() =>
        Assert.Contains("not a valid consumer group id", (string?)(await CreateTriggerProblemAsync(Trigger(groupId: "bad group!"), "group_id"))["detail"]);

    [Theory]
    [InlineData("orders")]
    [InlineData("x/alice/orders")]
    [InlineData("u/alice")]
    [InlineData("u/alice/../etc")]
    public async Task An_invalid_path_is_refused(string path) =>
        Assert.Contains("not a valid path", (string?)(await CreateTriggerProblemAsync(Trigger(path: path), "path"))["detail"]);

    [Fact]
    public async Task A_duplicate_create_is_a_conflict()
    {
        using var first = await Http.PostAsJsonAsync($"/api/w/{_ws}/kafka_triggers/create", Trigger(path: "u/test/dup", topics: ["dup"]));
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        using var second = await Http.PostAsJsonAsync($"/api/w/{_ws}/kafka_triggers/create", Trigger(path: "u/test/dup", topics: ["dup"]));
        Assert.Contains("already exists", (string?)(await ProblemAsync(second, HttpStatusCode.Conflict))["detail"]);
        using var script = await Http.PostAsJsonAsync($"/api/w/{_ws}/scripts/create", new { path = "u/test/echo", language = "bun", content = "export function main() {}" });
        await ProblemAsync(script, HttpStatusCode.Conflict);
        using var workspace = await Http.PostAsJsonAsync("/api/workspaces/create", new { id = _ws, name = "again" });
        await ProblemAsync(workspace, HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task Malformed_json_is_a_bad_request()
    {
        using var body = new StringContent("{\"path\": \"u/test/x\", \"topics\": [", Encoding.UTF8, "application/json");
        using var response = await Http.PostAsync($"/api/w/{_ws}/kafka_triggers/create", body);
        Assert.Contains("not valid JSON", (string?)(await ProblemAsync(response, HttpStatusCode.BadRequest))["detail"]);
    }

    [Fact]
    public async Task A_missing_or_wrong_token_is_unauthorized()
    {
        using var anonymous = fixture.Silo.CreateClient();
        using var missing = await anonymous.GetAsync($"/api/w/{_ws}/kafka_triggers/list");
        Assert.Contains("Bearer", (string?)(await ProblemAsync(missing, HttpStatusCode.Unauthorized))["detail"]);
        anonymous.DefaultRequestHeaders.Authorization = new("Bearer", "wrong");
        using var wrong = await anonymous.GetAsync($"/api/w/{_ws}/kafka_triggers/list");
        await ProblemAsync(wrong, HttpStatusCode.Unauthorized);
        anonymous.DefaultRequestHeaders.Authorization = null;
        using var version = await anonymous.GetAsync("/api/version");
        Assert.Equal(HttpStatusCode.OK, version.StatusCode);
    }

    [Fact]
    public async Task Without_the_token_a_malformed_body_is_unauthorized_not_a_bad_request()
    {
        using var anonymous = fixture.Silo.CreateClient();
        using var body = new StringContent("{not json", System.Text.Encoding.UTF8, "application/json");
        using var response = await anonymous.PostAsync($"/api/w/{_ws}/kafka_triggers/create", body);
        Assert.Contains("Bearer", (string?)(await ProblemAsync(response, HttpStatusCode.Unauthorized))["detail"]);
    }

    [Fact]
    public async Task An_unknown_workspace_is_not_found()
    {
        using var response = await Http.GetAsync("/api/w/no-such-ws/kafka_triggers/list");
        Assert.Contains("does not exist", (string?)(await ProblemAsync(response, HttpStatusCode.NotFound))["detail"]);
    }

    [Theory]
    [InlineData("""{"brokers": [], "security": {"label": "PLAINTEXT"}}""", "value.brokers")]
    [InlineData("""{"brokers": ["no-port"], "security": {"label": "PLAINTEXT"}}""", "value.brokers")]
    [InlineData("""{"brokers": ["k:9092"], "security": {"label": "SASL_SSL", "mechanism": "MD5", "username": "u", "password": "p"}}""", "value.security.mechanism")]
    [InlineData("""{"brokers": ["k:9092"], "security": {"label": "SASL_GSSAPI", "kerberos_principal": "a@B"}}""", "value.security.keytab_path")]
    [InlineData("""{"brokers": ["k:9092"], "security": {"label": "NOPE"}}""", "value.security.label")]
    [InlineData("""{"brokers": ["k:9092"], "security": {"label": "SASL_GSSAPI", "kerberos_principal": "a@B", "keytab_path": "/k", "keytab_base64": "AAAA"}}""", "value.security.keytab_path")]
    [InlineData("""{"brokers": ["k:9092"], "security": {"label": "SASL_GSSAPI", "kerberos_principal": "a@B", "keytab_base64": "not base64!"}}""", "value.security.keytab_base64")]
    [InlineData("""{"brokers": ["k:9092"], "security": {"label": "SSL", "ca": "-----BEGIN CERTIFICATE-----\nabc\n-----END CERTIFICATE-----", "key": "/etc/tls/client.key"}}""", "value.security.key")]
    [InlineData("""{"brokers": ["k:9092"], "security": {"label": "SASL_GSSAPI", "keytab_base64": "AAAA"}}""", "value.security.kerberos_principal")]
    public async Task An_invalid_kafka_resource_names_the_field(string value, string field)
    {
        using var response = await Http.PostAsJsonAsync($"/api/w/{_ws}/resources/create",
            new { path = $"u/test/k{Guid.NewGuid():N}", resource_type = "kafka", value = JsonNode.Parse(value) });
        Assert.Equal(field, (string?)(await ProblemAsync(response, HttpStatusCode.BadRequest))["field"]);
    }

    [Theory]
    [InlineData("""[{"key": "type"}]""")]
    [InlineData("""[null]""")]
    [InlineData("""[{"value": "order"}]""")]
    public async Task A_filter_without_key_or_value_is_refused(string filters)
    {
        var trigger = JsonSerializer.SerializeToNode(Trigger())!.AsObject();
        trigger["filters"] = JsonNode.Parse(filters);
        Assert.Contains("\"key\": \"type\", \"value\": \"order\"", (string?)(await CreateTriggerProblemAsync(trigger, "filters[0]"))["detail"]);
    }

    [Theory]
    [InlineData("""{"exponential": {"attempts": 100, "multiplier": 1, "seconds": 10}}""", "retry.exponential")]
    [InlineData("""{"constant": {"attempts": 3, "seconds": 1e9}}""", "retry.constant")]
    public async Task A_retry_policy_whose_waits_overflow_is_refused(string retry, string field)
    {
        var trigger = JsonSerializer.SerializeToNode(Trigger())!.AsObject();
        trigger["retry"] = JsonNode.Parse(retry);
        Assert.Contains("7 days", (string?)(await CreateTriggerProblemAsync(trigger, field))["detail"]);
    }

    [Theory]
    [InlineData("page=0", "page")]
    [InlineData("per_page=0", "per_page")]
    [InlineData("per_page=1001", "per_page")]
    public async Task Job_list_paging_out_of_range_names_the_parameter(string query, string field)
    {
        using var response = await Http.GetAsync($"/api/w/{_ws}/jobs/list?{query}");
        Assert.Equal(field, (string?)(await ProblemAsync(response, HttpStatusCode.BadRequest))["field"]);
    }

    [Fact]
    public async Task A_page_far_beyond_the_jobs_is_empty()
    {
        var jobs = await Http.GetFromJsonAsync<JsonArray>($"/api/w/{_ws}/jobs/list?page=2147483647&per_page=1000");
        Assert.Empty(jobs!);
    }

    [Fact]
    public async Task A_script_without_main_is_refused()
    {
        using var response = await Http.PostAsJsonAsync($"/api/w/{_ws}/scripts/create",
            new { path = "u/test/nomain", language = "bun", content = "export function helper() {}" });
        Assert.Equal("content", (string?)(await ProblemAsync(response, HttpStatusCode.BadRequest))["field"]);
    }

    [Fact]
    public async Task Secrets_are_redacted_when_a_resource_is_read()
    {
        using var create = await Http.PostAsJsonAsync($"/api/w/{_ws}/resources/create", new
        {
            path = "u/test/secure", resource_type = "kafka",
            value = new { brokers = new[] { "k:9093" }, security = new { label = "SASL_SSL", mechanism = "PLAIN", username = "svc", password = SecretMarker.Prefix + "hunter2" } },
        });
        create.EnsureSuccessStatusCode();
        var text = await Http.GetStringAsync($"/api/w/{_ws}/resources/get/u/test/secure");
        Assert.DoesNotContain(SecretMarker.Prefix, text);
        Assert.Contains("<redacted>", text);
        Assert.DoesNotContain(SecretMarker.Prefix, await Http.GetStringAsync($"/api/w/{_ws}/resources/list"));
    }
}
