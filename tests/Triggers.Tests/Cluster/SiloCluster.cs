using System.Text.Json.Nodes;
using Triggers.Tests.Infrastructure;
using Triggers.Triggers.Kafka.Development;

namespace Triggers.Tests.Cluster;

/// <summary>Several silo processes in one cluster on one PostgreSQL database, and a mock Kafka cluster.</summary>
public sealed class SiloCluster : IAsyncDisposable
{
    public const string Ws = "cluster";
    private readonly string _database;
    private readonly string _clusterId = $"cluster-{Guid.NewGuid():N}";

    private readonly IReadOnlyDictionary<string, string>? _settings;

    private SiloCluster(string database, IReadOnlyDictionary<string, string>? settings, TcpProxy? proxy) =>
        (_database, _settings, DatabaseLink) = (database, settings, proxy);

    /// <summary>The connection string the silos use.</summary>
    public string Database => _database;

    /// <summary>The silos' way to PostgreSQL when the cluster was started with one that can be cut.</summary>
    public TcpProxy? DatabaseLink { get; }

    public MockKafkaCluster Kafka { get; } = new(brokers: 1);

    /// <summary>Another process of this cluster (e.g. the API front end, <c>ApiHost</c>), with <paramref name="settings"/>.</summary>
    public SiloProcess Member(string project, IReadOnlyDictionary<string, string>? settings = null) => new(_database, _clusterId, settings, project);
    public List<SiloProcess> Silos { get; } = [];

    /// <summary>The API of the first silo, which the tests never stop.</summary>
    public TriggersApiClient Api => Silos[0].CreateApiClient();

    /// <param name="settings">Configuration every silo gets (e.g. the cluster's TLS).</param>
    /// <param name="cuttableDatabase">The silos reach PostgreSQL through a relay the test can cut (<see cref="DatabaseLink"/>).</param>
    public static async Task<SiloCluster> StartAsync(PostgresFixture postgres, int silos, IReadOnlyDictionary<string, string>? settings = null, bool cuttableDatabase = false)
    {
        var database = await postgres.CreateDatabaseAsync();
        TcpProxy? proxy = null;
        if (cuttableDatabase)
        {
            var direct = new Npgsql.NpgsqlConnectionStringBuilder(database);
            proxy = new TcpProxy(direct.Host!, direct.Port);
            database = new Npgsql.NpgsqlConnectionStringBuilder(database) { Host = "127.0.0.1", Port = proxy.Port }.ConnectionString;
        }
        var cluster = new SiloCluster(database, settings, proxy);
        await cluster.AddSiloAsync(); // the first one creates the schema
        await Task.WhenAll(Enumerable.Range(1, silos - 1).Select(_ => cluster.AddSiloAsync()));
        await cluster.Api.CreateWorkspaceAsync(Ws);
        await cluster.Api.CreateKafkaResourceAsync(Ws, "u/ops/kafka", cluster.Kafka.BootstrapServers);
        await cluster.Api.CreateScriptAsync(Ws, "u/ops/echo", "bun", "export async function main(payload: string) { return atob(payload); }");
        await cluster.Api.CreateScriptAsync(Ws, "u/ops/echo_batch", "bun", "export async function main(payloads: string[]) { return payloads.map(p => atob(p)); }");
        return cluster;
    }

    public async Task<SiloProcess> AddSiloAsync()
    {
        var silo = new SiloProcess(_database, _clusterId, _settings);
        lock (Silos) Silos.Add(silo);
        await silo.StartAsync();
        return silo;
    }

    /// <summary>A trigger that echoes each message (batch size 1) or each batch's messages as an array.</summary>
    public async Task CreateTriggerAsync(string path, string topic, int batchSize = 1) =>
        await Api.CreateTriggerAsync(Ws, new
        {
            path, script_path = batchSize == 1 ? "u/ops/echo" : "u/ops/echo_batch", kafka_resource_path = "u/ops/kafka", topics = new[] { topic },
            batch_size = batchSize,
        });

    /// <summary>The silo port a trigger's server_id names (server_id is the Orleans silo address "S{ip}:{port}:{generation}").</summary>
    public static string? SiloOf(JsonObject trigger) => ((string?)trigger["server_id"])?.Split(':')[1];

    public static string SiloPortOf(SiloProcess silo) => silo.SiloPort.ToString();

    /// <summary>The silo a trigger listens on now.</summary>
    public async Task<SiloProcess> HostOfAsync(string path)
    {
        var port = SiloOf(await Api.GetTriggerAsync(Ws, path));
        return Silos.Single(s => SiloPortOf(s) == port);
    }

    /// <summary>What a job of <see cref="CreateTriggerAsync"/>'s scripts echoed: its message, or its batch's messages.</summary>
    public static IEnumerable<string> Echoed(JsonObject job) =>
        job["result"] is JsonArray batch ? batch.Select(m => (string)m!) : [(string)job["result"]!];

    public async ValueTask DisposeAsync()
    {
        foreach (var silo in Silos) await silo.DisposeAsync();
        Kafka.Dispose();
        if (DatabaseLink is not null) await DatabaseLink.DisposeAsync();
    }
}
