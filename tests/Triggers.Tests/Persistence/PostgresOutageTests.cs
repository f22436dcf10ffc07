using System.Text.Json.Nodes;
using Npgsql;
using Triggers.Tests.Infrastructure;
using Triggers.Triggers.Kafka.Development;

namespace Triggers.Tests.Persistence;

/// <summary>
/// PostgreSQL goes away for two minutes (the network to it is cut) while a trigger ingests and jobs complete: the
/// trigger reports the outage, and once the database is back everything resumes by itself with every message run
/// exactly once. Real PostgreSQL behind a TCP relay, real silo, mock Kafka cluster, Bun.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresOutageTests(PostgresFixture postgres)
{
    private const string Ws = "outage";
    private static readonly TimeSpan Outage = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task A_two_minute_database_outage_loses_and_repeats_nothing_and_everything_resumes_by_itself()
    {
        using var kafka = new MockKafkaCluster(brokers: 1);
        var topic = $"outage-{Guid.NewGuid():N}";
        kafka.CreateTopic(topic, 1);
        var database = new NpgsqlConnectionStringBuilder(await postgres.CreateDatabaseAsync());
        await using var proxy = new TcpProxy(database.Host!, database.Port);
        database.Host = "127.0.0.1";
        database.Port = proxy.Port;
        await using var silo = new SiloFactory(new Dictionary<string, string?> { ["ConnectionStrings:Postgres"] = database.ConnectionString });
        var api = silo.CreateApiClient();
        await api.CreateWorkspaceAsync(Ws);
        await api.CreateKafkaResourceAsync(Ws, "u/ops/kafka", kafka.BootstrapServers);
        // Slow enough that jobs are running, and finish, while the database is away.
        await api.CreateScriptAsync(Ws, "u/ops/echo", "bun", "export async function main(payload: string) { await Bun.sleep(1500); return atob(payload); }");
        await api.CreateTriggerAsync(Ws, new { path = "u/ops/trigger", script_path = "u/ops/echo", kafka_resource_path = "u/ops/kafka", topics = new[] { topic } });
        await api.WaitUntilListeningAsync(Ws, "u/ops/trigger");

        var before = Enumerable.Range(1, 6).Select(i => $"before-{i}").ToArray();
        await TestProducer.ProduceAsync(kafka.BootstrapServers, topic, before);
        await Eventually.WaitAsync(() => api.ListJobsAsync(Ws, "u/ops/trigger"), jobs => jobs.Any(j => (string?)j["status"] == "running"),
            TimeSpan.FromSeconds(30), "a job to be running");

        proxy.Cut();
        var cutAt = DateTime.UtcNow;
        var during = Enumerable.Range(1, 6).Select(i => $"during-{i}").ToArray();
        await TestProducer.ProduceAsync(kafka.BootstrapServers, topic, during);
        var troubled = await Eventually.WaitAsync(() => api.GetTriggerAsync(Ws, "u/ops/trigger"),
            t => (string?)t["status"]!["state"] == "error", TimeSpan.FromSeconds(90), "the trigger to report that it cannot store jobs");
        Assert.False(string.IsNullOrEmpty((string?)troubled["status"]!["error"]));
        // The outage itself: the scenario's length, not a wait for anything.
        await Task.Delay(Outage - (DateTime.UtcNow - cutAt) is { Ticks: > 0 } rest ? rest : TimeSpan.Zero);
        proxy.Restore();

        var jobs = await api.WaitForFinishedJobsAsync(Ws, "u/ops/trigger", before.Length + during.Length, TimeSpan.FromMinutes(3));
        Assert.Equal(before.Concat(during).Order(), jobs.Select(j => (string)j["result"]!).Order());
        Assert.All(jobs, j => Assert.Equal(("success", 1), ((string)j["status"]!, (int)j["attempts"]!)));
        await Eventually.WaitAsync(() => api.GetTriggerAsync(Ws, "u/ops/trigger"),
            t => (string?)t["status"]!["state"] == "listening" && t["status"]!["error"] is null, TimeSpan.FromSeconds(60), "the trigger to report it is well again");
    }
}
