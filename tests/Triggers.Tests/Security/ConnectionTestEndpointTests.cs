using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Triggers.Tests.EndToEnd;
using Xunit.Abstractions;

namespace Triggers.Tests.Security;

/// <summary>POST .../kafka_triggers/test connects within a bounded time and reports what it found or why it failed.</summary>
[Collection(EmbeddedSiloCollection.Name)]
public sealed class ConnectionTestEndpointTests(EmbeddedSiloFixture fixture, ITestOutputHelper output)
{
    private async Task<JsonObject> TestAsync(string ws, object connection)
    {
        using var response = await fixture.Api.Http.PostAsJsonAsync($"/api/w/{ws}/kafka_triggers/test", new { connection });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var result = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        output.WriteLine(result.ToJsonString());
        return result;
    }

    [Fact]
    public async Task A_stored_resource_that_works_reports_its_brokers_and_topics()
    {
        var s = await TriggerScenario.CreateAsync(fixture.Api, fixture.Kafka);
        var result = await TestAsync(s.Ws, new { kafka_resource_path = TriggerScenario.Resource });
        Assert.True((bool)result["ok"]!, result.ToJsonString());
        Assert.Equal(3, result["brokers"]!.AsArray().Count);
        Assert.Contains(s.Topic, result["topics"]!.AsArray().Select(t => (string)t!));
    }

    [Fact]
    public async Task An_unreachable_broker_is_reported_as_such_within_the_time_limit()
    {
        var s = await TriggerScenario.CreateAsync(fixture.Api, fixture.Kafka);
        var result = await TestAsync(s.Ws, new { brokers = new[] { "127.0.0.1:1" }, security = new { label = "PLAINTEXT" } });
        Assert.False((bool)result["ok"]!);
        Assert.Equal("unreachable", (string?)result["error_kind"]);
        Assert.InRange((long)result["elapsed_ms"]!, 0, 15_000);
    }

    [Fact]
    public async Task A_sasl_mechanism_the_broker_refuses_is_reported_as_a_sasl_failure()
    {
        var s = await TriggerScenario.CreateAsync(fixture.Api, fixture.Kafka);
        var result = await TestAsync(s.Ws, new
        {
            brokers = fixture.Kafka.BootstrapServers.Split(','),
            security = new { label = "SASL_PLAINTEXT", mechanism = "SCRAM-SHA-256", username = "svc", password = "pw" },
        });
        Assert.False((bool)result["ok"]!);
        Assert.Equal("sasl", (string?)result["error_kind"]);
        Assert.Contains("SASL", (string?)result["error"], StringComparison.OrdinalIgnoreCase);
        // A refusal ends the test: it does not wait out its 10 s limit for a broker that will not change its mind.
        Assert.InRange((long)result["elapsed_ms"]!, 0, 9_999);
    }

    [Fact]
    public async Task An_invalid_inline_connection_names_the_field()
    {
        var s = await TriggerScenario.CreateAsync(fixture.Api, fixture.Kafka);
        using var response = await fixture.Api.Http.PostAsJsonAsync($"/api/w/{s.Ws}/kafka_triggers/test",
            new { connection = new { brokers = new[] { "k:9093" }, security = new { label = "SSL", ca = "/etc/ssl/ca.pem" } } });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("connection.security.ca", (string?)(await response.Content.ReadFromJsonAsync<JsonObject>())!["field"]);
    }
}
