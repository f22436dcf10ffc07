using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Confluent.Kafka;
using Npgsql;
using Triggers.Tests.Cluster;
using Triggers.Tests.Infrastructure;

namespace Triggers.Chaos;

/// <summary>What one soak found: every message–trigger pair, and how each ended.</summary>
/// <param name="Reruns">Jobs with a started run lost with its worker: the only ones whose script may have run twice.</param>
/// <param name="Requeued">Jobs whose claim was lost with its worker before it started (they ran once).</param>
internal sealed record ChaosResult(int Seed, int Seconds, int Pairs, int Lost, int Duplicated, int Unfinished, int Failed, int Reruns, int Requeued, IReadOnlyList<string> Faults)
{
    public bool Held => Lost == 0 && Duplicated == 0 && Unfinished == 0 && Failed == 0;
}

/// <summary>
/// Three silos on one PostgreSQL, ten triggers on five topics (four batched) and a trigger on a hot one-partition topic
/// at 100 messages a second, a steady producer, and a fault every 15–30 s chosen by the seed: SIGKILL, SIGTERM, SIGSTOP
/// for 20 s, PostgreSQL's connections all dropped (as a restart does), and PostgreSQL away for 7 s followed by SIGTERM
/// of the busiest silo the moment it returns. Silos that went are started again. When the producer stops, every
/// message must end in exactly one successful job of each of its triggers.
/// </summary>
internal sealed class ChaosRun(int seconds, int seed)
{
    private const string Ws = SiloCluster.Ws;
    private const int Topics = 5;
    private static readonly TimeSpan Drain = TimeSpan.FromMinutes(5);

    private readonly Random _random = new(seed);
    private readonly List<string> _faults = [];
    private readonly Stopwatch _clock = new();

    public async Task<ChaosResult> RunAsync()
    {
        var postgres = new PostgresFixture();
        // Writes cut at ten messages, as in the run that lost a write.
        await using var cluster = await SiloCluster.StartAsync(postgres, silos: 3, new Dictionary<string, string> { ["Kafka__MaxBatchSize"] = "10" }, cuttableDatabase: true);
        var triggers = await CreateTriggersAsync(cluster);
        await Task.WhenAll(triggers.Keys.Select(path => cluster.Api.WaitUntilListeningAsync(Ws, path, TimeSpan.FromSeconds(90))));
        Log($"{triggers.Count} triggers listening on 3 silos; producing for {seconds} s, seed {seed}");

        _clock.Start();
        using var producing = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        var produced = ProduceAsync(cluster, producing.Token);
        await FaultsAsync(cluster, producing.Token);
        var messages = await produced;
        await RestoreAsync(cluster);
        Log($"produced {messages.Values.Sum(m => m.Count)} messages; waiting up to {Drain.TotalMinutes:0} min for their jobs");

        var result = await SettleAsync(cluster, triggers, messages);
        await postgres.DisposeAsync();
        return result;
    }

    /// <summary>The triggers by path, each with the topic it reads.</summary>
    private static async Task<Dictionary<string, string>> CreateTriggersAsync(SiloCluster cluster)
    {
        // Dedicated workers: the soak is about delivery, and they keep up with the stream on a small machine.
        await CreateScriptAsync(cluster, "u/ops/echo_dedicated", "export async function main(payload: string) { return atob(payload); }");
        await CreateScriptAsync(cluster, "u/ops/echo_batch_dedicated", "export async function main(payloads: string[]) { return payloads.map(p => atob(p)); }");
        var triggers = new Dictionary<string, string>();
        for (var t = 0; t < Topics; t++)
        {
            var topic = $"chaos-{t}";
            cluster.Kafka.CreateTopic(topic, 2);
            await CreateTriggerAsync(cluster, $"u/ops/plain{t}", topic, batchSize: 1);
            // Four of the second triggers batch, one a window of a second long.
            await CreateTriggerAsync(cluster, $"u/ops/second{t}", topic, batchSize: t < 4 ? 10 : 1, windowMs: t == 0 ? 1000 : 0);
            triggers[$"u/ops/plain{t}"] = triggers[$"u/ops/second{t}"] = topic;
        }
        cluster.Kafka.CreateTopic("chaos-hot", 1);
        await CreateTriggerAsync(cluster, "u/ops/hot", "chaos-hot", batchSize: 1);
        triggers["u/ops/hot"] = "chaos-hot";
        return triggers;
    }

    private static async Task CreateScriptAsync(SiloCluster cluster, string path, string content)
    {
        using var response = await cluster.Api.Http.PostAsJsonAsync($"/api/w/{Ws}/scripts/create", new { path, language = "bun", content, dedicated_worker = true });
        response.EnsureSuccessStatusCode();
    }

    private static Task CreateTriggerAsync(SiloCluster cluster, string path, string topic, int batchSize, int windowMs = 0) =>
        cluster.Api.CreateTriggerAsync(Ws, new
        {
            path, script_path = batchSize == 1 ? "u/ops/echo_dedicated" : "u/ops/echo_batch_dedicated", kafka_resource_path = "u/ops/kafka",
            topics = new[] { topic }, batch_size = batchSize, batch_window_ms = windowMs,
        });

    /// <summary>Every 100 ms: ten messages to the hot topic and one to each other topic. Returns them by topic.</summary>
    private static async Task<Dictionary<string, List<string>>> ProduceAsync(SiloCluster cluster, CancellationToken stop)
    {
        var produced = Enumerable.Range(0, Topics).Select(t => $"chaos-{t}").Append("chaos-hot").ToDictionary(t => t, _ => new List<string>());
        using var producer = new ProducerBuilder<Null, string>(new ProducerConfig { BootstrapServers = cluster.Kafka.BootstrapServers, LingerMs = 5 }).Build();
        while (!stop.IsCancellationRequested)
        {
            var sends = new List<Task>();
            foreach (var (topic, messages) in produced)
                for (var i = 0; i < (topic == "chaos-hot" ? 10 : 1); i++)
                {
                    var value = $"{topic}/{messages.Count:D6}";
                    messages.Add(value);
                    sends.Add(producer.ProduceAsync(topic, new Message<Null, string> { Value = value }));
                }
            await Task.WhenAll(sends);
            await Task.Delay(100, CancellationToken.None);
        }
        return produced;
    }

    private async Task FaultsAsync(SiloCluster cluster, CancellationToken stop)
    {
        while (true)
        {
            try { await Task.Delay(TimeSpan.FromSeconds(_random.Next(15, 31)), stop); }
            catch (OperationCanceledException) { return; }
            var silo = cluster.Silos[_random.Next(cluster.Silos.Count)];
            switch (_random.Next(5))
            {
                case 0:
                    Log($"SIGKILL silo {silo.SiloPort}");
                    await silo.KillAsync();
                    await silo.StartAsync();
                    break;
                case 1:
                    Log($"SIGTERM silo {silo.SiloPort}");
                    await silo.StopAsync();
                    await silo.StartAsync();
                    break;
                case 2:
                    Log($"SIGSTOP silo {silo.SiloPort} for 20 s");
                    silo.Freeze();
                    await Task.Delay(TimeSpan.FromSeconds(20), CancellationToken.None);
                    silo.Thaw();
                    await RestartIfGoneAsync(silo, TimeSpan.FromSeconds(30));
                    break;
                case 3:
                    Log("PostgreSQL drops every connection (as a restart does)");
                    await DropConnectionsAsync(cluster);
                    break;
                default:
                    var busiest = await BusiestAsync(cluster);
                    Log($"PostgreSQL away for 7 s, then SIGTERM silo {busiest.SiloPort} as it returns");
                    cluster.DatabaseLink!.Cut();
                    await Task.Delay(TimeSpan.FromSeconds(7), CancellationToken.None);
                    cluster.DatabaseLink.Restore();
                    await busiest.StopAsync();
                    await busiest.StartAsync();
                    break;
            }
        }
    }

    /// <summary>A woken silo usually learns that the cluster declared it dead and exits: then it starts again.</summary>
    private static async Task RestartIfGoneAsync(SiloProcess silo, TimeSpan within)
    {
        var deadline = Stopwatch.StartNew();
        while (!silo.HasExited && deadline.Elapsed < within) await Task.Delay(200);
        if (silo.HasExited) await silo.StartAsync();
    }

    /// <summary>The soak's own connections: unpooled, since the faults drop pooled ones under it.</summary>
    private static string Unpooled(SiloCluster cluster) => new NpgsqlConnectionStringBuilder(cluster.Database) { Pooling = false }.ConnectionString;

    private static async Task DropConnectionsAsync(SiloCluster cluster)
    {
        var database = new NpgsqlConnectionStringBuilder(cluster.Database).Database;
        await using var connection = new NpgsqlConnection(Unpooled(cluster));
        await connection.OpenAsync();
        await using var drop = new NpgsqlCommand("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = @db AND pid <> pg_backend_pid()", connection);
        drop.Parameters.AddWithValue("db", database!);
        await drop.ExecuteScalarAsync();
    }

    /// <summary>The silo that runs the most triggers (by their server_id), asked of any silo that answers.</summary>
    private static async Task<SiloProcess> BusiestAsync(SiloCluster cluster)
    {
        var api = LiveApi(cluster);
        using var response = await api.Http.GetAsync($"/api/w/{Ws}/kafka_triggers/list");
        var listed = await response.Content.ReadFromJsonAsync<JsonElement>();
        var ports = listed.EnumerateArray().Select(t => t.TryGetProperty("server_id", out var id) && id.ValueKind == JsonValueKind.String ? id.GetString()!.Split(':')[1] : "")
            .GroupBy(port => port).OrderByDescending(g => g.Count()).Select(g => g.Key).ToList();
        return ports.Select(port => cluster.Silos.FirstOrDefault(s => SiloCluster.SiloPortOf(s) == port)).FirstOrDefault(s => s is not null) ?? cluster.Silos[0];
    }

    private static TriggersApiClient LiveApi(SiloCluster cluster) => cluster.Silos.First(s => !s.HasExited).CreateApiClient();

    private static async Task RestoreAsync(SiloCluster cluster)
    {
        cluster.DatabaseLink!.Restore();
        foreach (var silo in cluster.Silos.Where(s => s.HasExited)) await silo.StartAsync();
    }

    /// <summary>Waits until every pair has its successful job and nothing is left unfinished (or <see cref="Drain"/>
    /// passes), then counts, from the jobs table itself.</summary>
    private async Task<ChaosResult> SettleAsync(SiloCluster cluster, Dictionary<string, string> triggers, Dictionary<string, List<string>> messages)
    {
        var pairs = triggers.Sum(t => messages[t.Value].Count);
        var deadline = Stopwatch.StartNew();
        Tally tally;
        while (true)
        {
            tally = await TallyAsync(cluster, triggers, messages);
            if (tally.Complete || deadline.Elapsed > Drain) break;
            await Task.Delay(TimeSpan.FromSeconds(2));
        }
        Log($"settled after {deadline.Elapsed.TotalSeconds:0} s");
        return new ChaosResult(seed, seconds, pairs, tally.Lost, tally.Duplicated, tally.Unfinished, tally.Failed, tally.Reruns, tally.Requeued, _faults);
    }

    private sealed record Tally(int Lost, int Duplicated, int Unfinished, int Failed, int Reruns, int Requeued)
    {
        public bool Complete => Lost == 0 && Unfinished == 0;
    }

    private static async Task<Tally> TallyAsync(SiloCluster cluster, Dictionary<string, string> triggers, Dictionary<string, List<string>> messages)
    {
        var succeeded = new Dictionary<(string Trigger, string Message), int>();
        int unfinished = 0, failed = 0, reruns = 0, requeued = 0;
        await using (var connection = new NpgsqlConnection(Unpooled(cluster)))
        {
            await connection.OpenAsync();
            await using var query = new NpgsqlCommand(
                "SELECT trigger_path, status, result::text, lost_runs, lost_claims FROM jobs WHERE workspace_id = @ws AND trigger_path IS NOT NULL", connection);
            query.Parameters.AddWithValue("ws", Ws);
            await using var reader = await query.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                var (trigger, status) = (reader.GetString(0), reader.GetString(1));
                if (reader.GetInt32(3) > 0) reruns++;
                else if (reader.GetInt32(4) > 0) requeued++;
                if (status == "failure") failed++;
                if (status != "success") { if (status != "failure") unfinished++; continue; }
                using var result = JsonDocument.Parse(reader.GetString(2));
                var echoed = result.RootElement.ValueKind == JsonValueKind.Array ? result.RootElement.EnumerateArray().Select(e => e.GetString()!) : [result.RootElement.GetString()!];
                foreach (var message in echoed) succeeded[(trigger, message)] = succeeded.GetValueOrDefault((trigger, message)) + 1;
            }
        }
        var lost = triggers.Sum(t => messages[t.Value].Count(m => !succeeded.ContainsKey((t.Key, m))));
        var duplicated = succeeded.Values.Count(n => n > 1);
        return new Tally(lost, duplicated, unfinished, failed, reruns, requeued);
    }

    private void Log(string what)
    {
        Console.Error.WriteLine($"[{_clock.Elapsed.TotalSeconds,5:0} s] {what}");
        if (_clock.IsRunning && !what.StartsWith("produced", StringComparison.Ordinal) && !what.StartsWith("settled", StringComparison.Ordinal))
            _faults.Add($"{_clock.Elapsed.TotalSeconds:0} s {what}");
    }
}
