using Triggers.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Triggers.Tests.Cluster;

/// <summary>Triggers spread over the silos of a cluster, and a silo that joins takes a share of new ones.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PlacementTests(PostgresFixture postgres, ITestOutputHelper output) : IAsyncLifetime
{
    private SiloCluster _cluster = null!;

    public async Task InitializeAsync() => _cluster = await SiloCluster.StartAsync(postgres, silos: 3);

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    private async Task<Dictionary<string, int>> TriggersPerSiloAsync(IEnumerable<string> paths)
    {
        var api = _cluster.Api;
        var triggers = await Task.WhenAll(paths.Select(p => api.WaitUntilListeningAsync(SiloCluster.Ws, p, TimeSpan.FromSeconds(90))));
        return triggers.GroupBy(t => SiloCluster.SiloOf(t)!).ToDictionary(g => g.Key, g => g.Count());
    }

    [Fact]
    public async Task Sixty_triggers_spread_over_three_silos_and_a_fourth_silo_takes_a_share_of_new_ones()
    {
        var topic = "placement";
        _cluster.Kafka.CreateTopic(topic, 1);
        var first = Enumerable.Range(0, 60).Select(i => $"u/ops/t{i:D2}").ToList();
        foreach (var path in first) await _cluster.CreateTriggerAsync(path, topic);

        var spread = await TriggersPerSiloAsync(first);
        output.WriteLine($"60 triggers on 3 silos: {string.Join(", ", spread.Select(kv => $"silo port {kv.Key}: {kv.Value}"))}");
        Assert.Equal(3, spread.Count);
        Assert.All(spread.Values, count => Assert.True(count <= 30, $"no silo may hold more than half: {count}"));

        var newcomer = await _cluster.AddSiloAsync();
        var later = Enumerable.Range(60, 12).Select(i => $"u/ops/t{i:D2}").ToList();
        foreach (var path in later) await _cluster.CreateTriggerAsync(path, topic);

        var laterSpread = await TriggersPerSiloAsync(later);
        output.WriteLine($"12 later triggers with a 4th silo: {string.Join(", ", laterSpread.Select(kv => $"silo port {kv.Key}: {kv.Value}"))}");
        Assert.True(laterSpread.GetValueOrDefault(SiloCluster.SiloPortOf(newcomer)) >= 3, "the new silo takes a share of new activations");
    }
}
