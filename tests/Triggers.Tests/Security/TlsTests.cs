using System.Net.Http.Json;
using Confluent.Kafka;
using Triggers.Tests.EndToEnd;
using Triggers.Tests.Infrastructure;

namespace Triggers.Tests.Security;

/// <summary>SSL resources end to end, through stunnel4 in front of the mock broker, hostname verification on.</summary>
[Collection(EmbeddedSiloCollection.Name)]
public sealed class TlsTests(EmbeddedSiloFixture fixture)
{
    private const string Echo = "export async function main(payload: string) { return atob(payload); }";

    private async Task<string> TriggerOverTlsAsync(TlsKafka tls, object security)
    {
        var ws = $"tls-{Guid.NewGuid():N}"[..20];
        await fixture.Api.CreateWorkspaceAsync(ws);
        using (var resource = await fixture.Api.Http.PostAsJsonAsync($"/api/w/{ws}/resources/create", new
        {
            path = "u/test/kafka", resource_type = "kafka", value = new { brokers = new[] { tls.Bootstrap }, security },
        }))
            resource.EnsureSuccessStatusCode();
        await fixture.Api.CreateScriptAsync(ws, "u/test/echo", "bun", Echo);
        await fixture.Api.CreateTriggerAsync(ws, new { path = "u/test/trigger", script_path = "u/test/echo", kafka_resource_path = "u/test/kafka", topics = new[] { "secure" } });
        return ws;
    }

    private static async Task ProduceOverTlsAsync(TlsKafka tls, string value, bool withClientCertificate = false)
    {
        var config = new ProducerConfig { BootstrapServers = tls.Bootstrap, SecurityProtocol = SecurityProtocol.Ssl, SslCaPem = tls.CaPem };
        if (withClientCertificate) (config.SslCertificatePem, config.SslKeyPem) = (tls.ClientCertificatePem, tls.ClientKeyPem);
        using var producer = new ProducerBuilder<Null, string>(config).Build();
        await producer.ProduceAsync("secure", new Message<Null, string> { Value = value });
    }

    [Fact]
    public async Task A_trigger_over_ssl_with_the_right_ca_consumes_and_runs_jobs()
    {
        using var tls = new TlsKafka(requireClientCertificate: false);
        tls.Kafka.CreateTopic("secure", 1);
        var ws = await TriggerOverTlsAsync(tls, new { label = "SSL", ca = tls.CaPem });
        await fixture.Api.WaitUntilListeningAsync(ws, "u/test/trigger");

        await ProduceOverTlsAsync(tls, "over tls");

        var job = Assert.Single(await fixture.Api.WaitForFinishedJobsAsync(ws, "u/test/trigger", 1));
        Assert.Equal("over tls", (string?)job["result"]);
    }

    [Fact]
    public async Task A_wrong_ca_shows_a_certificate_verification_error_in_the_status()
    {
        using var tls = new TlsKafka(requireClientCertificate: false);
        tls.Kafka.CreateTopic("secure", 1);
        var ws = await TriggerOverTlsAsync(tls, new { label = "SSL", ca = tls.OtherCaPem });

        var failing = await Eventually.WaitAsync(() => fixture.Api.GetTriggerAsync(ws, "u/test/trigger"),
            t => (string?)t["status"]!["state"] == "error", TimeSpan.FromSeconds(30), "the certificate error in the status");
        Assert.Contains("certificate verify failed", (string?)failing["error"], StringComparison.OrdinalIgnoreCase);

        using var test = await fixture.Api.Http.PostAsJsonAsync($"/api/w/{ws}/kafka_triggers/test", new { connection = new { kafka_resource_path = "u/test/kafka" } });
        var result = (await test.Content.ReadFromJsonAsync<System.Text.Json.Nodes.JsonObject>())!;
        Assert.False((bool)result["ok"]!);
        Assert.Equal("certificate_verification", (string?)result["error_kind"]);
    }

    [Fact]
    public async Task Mutual_tls_needs_the_client_certificate()
    {
        using var tls = new TlsKafka(requireClientCertificate: true);
        tls.Kafka.CreateTopic("secure", 1);
        var without = await TriggerOverTlsAsync(tls, new { label = "SSL", ca = tls.CaPem });
        var with = await TriggerOverTlsAsync(tls, new { label = "SSL", ca = tls.CaPem, certificate = tls.ClientCertificatePem, key = tls.ClientKeyPem });

        await fixture.Api.WaitUntilListeningAsync(with, "u/test/trigger");
        await ProduceOverTlsAsync(tls, "mutual", withClientCertificate: true);
        var job = Assert.Single(await fixture.Api.WaitForFinishedJobsAsync(with, "u/test/trigger", 1));
        Assert.Equal("mutual", (string?)job["result"]);

        var refused = await Eventually.WaitAsync(() => fixture.Api.GetTriggerAsync(without, "u/test/trigger"),
            t => (string?)t["status"]!["state"] == "error", TimeSpan.FromSeconds(30), "the missing client certificate to fail the handshake");
        Assert.False(string.IsNullOrEmpty((string?)refused["error"]));
        Assert.Empty(await fixture.Api.ListJobsAsync(without, "u/test/trigger"));
    }
}
