using System.Net.Http.Json;
using System.Text;
using Npgsql;
using Triggers.Tests.Infrastructure;
using Triggers.Triggers.Kafka.Development;

namespace Triggers.Tests.Security;

/// <summary>
/// A SASL resource against a broker without SASL: the client really attempts the mechanism (the refusal
/// reaches the status), and its password appears in no API response, log line, status or database row.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class SecretsNeverShownTests(PostgresFixture postgres) : IAsyncLifetime
{
    private readonly MockKafkaCluster _kafka = new(brokers: 1);
    private SiloProcess _silo = null!;
    private string _database = "";

    public async Task InitializeAsync()
    {
        _database = await postgres.CreateDatabaseAsync();
        _silo = new SiloProcess(_database, $"secrets-{Guid.NewGuid():N}");
        await _silo.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _silo.DisposeAsync();
        _kafka.Dispose();
    }

    [Fact]
    public async Task The_broker_refuses_sasl_and_the_password_is_never_shown()
    {
        var password = $"{SecretMarker.Prefix}{Guid.NewGuid():N}";
        var api = _silo.CreateApiClient();
        var seen = new StringBuilder();
        async Task<string> Read(string url)
        {
            var text = await api.Http.GetStringAsync(url);
            seen.AppendLine(text);
            return text;
        }

        await api.CreateWorkspaceAsync("sec");
        using (var create = await api.Http.PostAsJsonAsync("/api/w/sec/resources/create", new
        {
            path = "u/ops/sasl", resource_type = "kafka",
            value = new { brokers = _kafka.BootstrapServers.Split(','), security = new { label = "SASL_PLAINTEXT", mechanism = "PLAIN", username = "svc", password } },
        }))
        {
            create.EnsureSuccessStatusCode();
            seen.AppendLine(await create.Content.ReadAsStringAsync());
        }
        await api.CreateScriptAsync("sec", "u/ops/echo", "bun", "export async function main(payload: string) { return payload; }");
        await api.CreateTriggerAsync("sec", new { path = "u/ops/sasl_trigger", script_path = "u/ops/echo", kafka_resource_path = "u/ops/sasl", topics = new[] { "orders" } });

        var failing = await Eventually.WaitAsync(async () => await Read("/api/w/sec/kafka_triggers/get/u/ops/sasl_trigger"),
            text => text.Contains("\"state\":\"error\"") && text.Contains("SASL", StringComparison.OrdinalIgnoreCase),
            TimeSpan.FromSeconds(60), "the broker's SASL refusal in the trigger's status");
        Assert.Contains("SASL", failing, StringComparison.OrdinalIgnoreCase);

        await Read("/api/w/sec/kafka_triggers/list");
        await Read("/api/w/sec/resources/get/u/ops/sasl");
        await Read("/api/w/sec/resources/list");
        await Read("/api/w/sec/jobs/list");
        await Read("/metrics");
        Assert.Contains("<redacted>", seen.ToString());
        Assert.DoesNotContain(password, seen.ToString());
        Assert.DoesNotContain(password, _silo.Output);
        Assert.Contains("SASL", _silo.Output, StringComparison.OrdinalIgnoreCase); // the log does tell the operator why

        await using var db = NpgsqlDataSource.Create(_database);
        await using var state = db.CreateCommand("SELECT payload FROM orleans_grain_state WHERE payload IS NOT NULL");
        await using var rows = await state.ExecuteReaderAsync();
        var stored = 0;
        while (await rows.ReadAsync())
        {
            stored++;
            Assert.DoesNotContain(password, Encoding.UTF8.GetString((byte[])rows[0]));
        }
        Assert.True(stored > 0, "the resource's grain state was read from the database");
    }
}
