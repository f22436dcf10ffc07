using Triggers.Tests.Failures;
using Triggers.Tests.Infrastructure;
using Triggers.Triggers.Kafka.Development;

namespace Triggers.Tests.Persistence;

/// <summary>A rerun's due time is stored with its job, so a pending retry survives the loss of the silo that scheduled it.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresRetryRestartTests(PostgresFixture postgres) : IAsyncLifetime
{
    private const string Ws = "retries";
    private readonly MockKafkaCluster _kafka = new(brokers: 1);
    private readonly string _topic = $"flaky-{Guid.NewGuid():N}";
    private SiloProcess _silo = null!;

    public async Task InitializeAsync()
    {
        _kafka.CreateTopic(_topic, 1);
        _silo = new SiloProcess(await postgres.CreateDatabaseAsync(), $"retry-{Guid.NewGuid():N}");
        await _silo.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _silo.DisposeAsync();
        _kafka.Dispose();
    }

    [Fact]
    public async Task A_pending_retry_runs_after_the_silo_is_killed_and_started_again()
    {
        var api = _silo.CreateApiClient();
        await api.CreateWorkspaceAsync(Ws);
        await api.CreateKafkaResourceAsync(Ws, "u/ops/kafka", _kafka.BootstrapServers);
        await api.CreateScriptAsync(Ws, "u/ops/flaky", "bun", RetryTests.FailsOnce);
        await api.CreateTriggerAsync(Ws, new
        {
            path = "u/ops/flaky_trigger", script_path = "u/ops/flaky", kafka_resource_path = "u/ops/kafka", topics = new[] { _topic },
            retry = new { constant = new { attempts = 2, seconds = 8 } },
        });
        await api.WaitUntilListeningAsync(Ws, "u/ops/flaky_trigger", TimeSpan.FromSeconds(60));

        await TestProducer.ProduceAsync(_kafka.BootstrapServers, _topic, JobStateServer.Shared.NewKey("marker"));
        var pending = await Eventually.WaitAsync(async () => await api.ListJobsAsync(Ws, "u/ops/flaky_trigger"),
            jobs => jobs.Count == 1 && (string?)jobs[0]["status"] == "queued" && jobs[0]["scheduled_for"] is not null,
            TimeSpan.FromSeconds(30), "the first run to fail and a rerun to be scheduled");
        var due = (DateTimeOffset)pending[0]["scheduled_for"]!;

        await _silo.KillAsync();
        await _silo.StartAsync();

        var job = Assert.Single(await _silo.CreateApiClient().WaitForFinishedJobsAsync(Ws, "u/ops/flaky_trigger", 1, TimeSpan.FromSeconds(60)));
        Assert.Equal("success", (string?)job["status"]);
        Assert.Equal(2, (int)job["attempts"]!);
        var rerun = job["attempt_history"]!.AsArray()[1]!;
        Assert.True((DateTimeOffset)rerun["started_at"]! >= due, "the rerun waited for its stored due time");
    }
}
