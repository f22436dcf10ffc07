using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Triggers.Tests.Infrastructure;
using Triggers.Triggers.Kafka.Development;

namespace Triggers.Tests.Persistence;

/// <summary>
/// PostgreSQL mode with the silo as a separate process and an independent producer: state survives restarts and
/// crashes, and every message still becomes exactly one job.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresRestartTests(PostgresFixture postgres) : SiloRestartTests
{
    protected override async Task<SiloProcess> CreateSiloAsync(string clusterId) => new(await postgres.CreateDatabaseAsync(), clusterId);
}

/// <summary>
/// The same with no configuration but the embedded PostgreSQL that <c>./run.sh</c> starts: a newcomer's silo keeps its
/// definitions, jobs and positions across a graceful restart and a SIGKILL.
/// </summary>
public sealed class EmbeddedPostgresRestartTests : SiloRestartTests
{
    private readonly EmbeddedPostgresDirectory _postgres = new();

    protected override Task<SiloProcess> CreateSiloAsync(string clusterId)
    {
        var settings = _postgres.SiloSettings();
        settings["DevKafka__Enabled"] = "false"; // the test's own broker outlives the silo
        return Task.FromResult(new SiloProcess(null, clusterId, settings));
    }

    [Fact]
    public async Task The_embedded_database_keeps_its_data_in_the_configured_directory_and_stops_with_the_silo()
    {
        Assert.True(File.Exists(Path.Combine(_postgres.Options.DataDirectory, "data", "PG_VERSION")));
        Assert.Contains("embedded PostgreSQL 18", Silo.Output);
        Assert.True(_postgres.IsRunning);
        await Silo.StopAsync();
        Assert.False(_postgres.IsRunning, "the embedded PostgreSQL should stop with the silo");
    }

    protected override Task CleanUpAsync()
    {
        _postgres.Dispose();
        return Task.CompletedTask;
    }
}

public abstract class SiloRestartTests : IAsyncLifetime
{
    private const string Ws = "persist";
    private const string TriggerPath = "u/ops/orders";
    private readonly MockKafkaCluster _kafka = new(brokers: 1);
    private readonly string _topic = $"orders-{Guid.NewGuid():N}";
    private SiloProcess _silo = null!;
    private TriggersApiClient _api = null!;

    protected SiloProcess Silo => _silo;

    protected abstract Task<SiloProcess> CreateSiloAsync(string clusterId);

    protected virtual Task CleanUpAsync() => Task.CompletedTask;

    public async Task InitializeAsync()
    {
        _kafka.CreateTopic(_topic, 4);
        _silo = await CreateSiloAsync($"restart-{Guid.NewGuid():N}");
        await _silo.StartAsync();
        _api = _silo.CreateApiClient();
        await _api.CreateWorkspaceAsync(Ws);
        await _api.CreateKafkaResourceAsync(Ws, "u/ops/kafka", _kafka.BootstrapServers);
        await _api.CreateScriptAsync(Ws, "u/ops/echo", "bun", "export async function main(payload: string) { return atob(payload); }");
        await _api.CreateTriggerAsync(Ws, new { path = TriggerPath, script_path = "u/ops/echo", kafka_resource_path = "u/ops/kafka", topics = new[] { _topic } });
        await _api.WaitUntilListeningAsync(Ws, TriggerPath, TimeSpan.FromSeconds(60));
    }

    public async Task DisposeAsync()
    {
        await _silo.DisposeAsync();
        await CleanUpAsync();
        _kafka.Dispose();
    }

    private static IEnumerable<string> Messages(int from, int count) => Enumerable.Range(from, count).Select(i => $"message-{i:D5}");

    private async Task<List<JsonObject>> AllJobsAsync() => await _api.ListJobsAsync(Ws, TriggerPath, perPage: 1000);

    private async Task AssertExactlyOneSuccessfulJobPerMessageAsync(int messages)
    {
        var jobs = await Eventually.WaitAsync(AllJobsAsync,
            list => list.Count(j => (string?)j["status"] == "success") >= messages,
            TimeSpan.FromSeconds(120), $"{messages} successful jobs");
        Assert.Equal(messages, jobs.Count);
        Assert.Empty((await _api.Http.GetFromJsonAsync<List<JsonObject>>($"/api/w/{Ws}/jobs/list?trigger_path={TriggerPath}&per_page=1000&page=2"))!);
        var results = jobs.Select(j => (string)j["result"]!).ToList();
        Assert.Equal(Messages(0, messages).ToList(), results.Order(StringComparer.Ordinal).ToList());
    }

    [Fact]
    public async Task After_a_graceful_restart_definitions_and_history_remain_and_missed_messages_run()
    {
        await TestProducer.ProduceAsync(_kafka.BootstrapServers, _topic, Messages(0, 20));
        await _api.WaitForFinishedJobsAsync(Ws, TriggerPath, 20);

        await _silo.StopAsync();
        await TestProducer.ProduceAsync(_kafka.BootstrapServers, _topic, Messages(20, 30));
        await _silo.StartAsync();

        var trigger = await _api.WaitUntilListeningAsync(Ws, TriggerPath, TimeSpan.FromSeconds(60));
        Assert.Equal("u/ops/echo", (string?)trigger["script_path"]);
        Assert.StartsWith("S127.0.0.1:", (string?)trigger["server_id"]);
        await AssertExactlyOneSuccessfulJobPerMessageAsync(50);
        var script = await _api.Http.GetFromJsonAsync<JsonObject>($"/api/w/{Ws}/scripts/get/p/u/ops/echo");
        Assert.Equal("bun", (string?)script!["language"]);
    }

    [Fact]
    public async Task Killing_the_silo_mid_stream_still_gives_exactly_one_job_per_message()
    {
        const int total = 1000;
        var producing = Task.Run(async () =>
        {
            for (var batch = 0; batch < 20; batch++)
            {
                await TestProducer.ProduceAsync(_kafka.BootstrapServers, _topic, Messages(batch * 50, 50));
                await Task.Delay(100); // a steady stream, so the kill lands in the middle of it
            }
        });

        await Eventually.WaitAsync(async () => (await AllJobsAsync()).Count, n => n >= 200, TimeSpan.FromSeconds(60), "the stream to be under way");
        await _silo.KillAsync();
        await _silo.StartAsync();
        await producing;

        await AssertExactlyOneSuccessfulJobPerMessageAsync(total);
    }
}
