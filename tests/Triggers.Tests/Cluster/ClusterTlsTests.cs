using System.Diagnostics;
using Triggers.Tests.Infrastructure;

namespace Triggers.Tests.Cluster;

/// <summary>
/// Orleans TLS inside the cluster (Orleans:Tls): three silo processes talk to each other over mutual TLS and run a
/// trigger's jobs; an API front end with the cluster's certificate connects to their gateways, one with another
/// authority's certificate, or without TLS, is refused.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class ClusterTlsTests(PostgresFixture postgres) : IAsyncLifetime
{
    private readonly DirectoryInfo _certificates = Directory.CreateTempSubdirectory("cluster-tls-");
    private SiloCluster _cluster = null!;

    private string Cluster => Path.Combine(_certificates.FullName, "cluster");
    private string Stranger => Path.Combine(_certificates.FullName, "stranger");

    public async Task InitializeAsync()
    {
        await MakeCertificatesAsync(Cluster);
        await MakeCertificatesAsync(Stranger); // another authority, issuing a certificate just as valid on its own
        _cluster = await SiloCluster.StartAsync(postgres, 3, TlsSettings(Cluster));
    }

    public async Task DisposeAsync()
    {
        await _cluster.DisposeAsync();
        _certificates.Delete(recursive: true);
    }

    [Fact]
    public async Task Three_silos_run_jobs_over_mutual_TLS_and_refuse_a_certificate_from_another_authority()
    {
        var topic = $"tls-{Guid.NewGuid():N}";
        _cluster.Kafka.CreateTopic(topic, 6);
        await _cluster.CreateTriggerAsync("u/ops/tls", topic);
        await _cluster.Api.WaitUntilListeningAsync(SiloCluster.Ws, "u/ops/tls", TimeSpan.FromSeconds(60));
        await TestProducer.ProduceAsync(_cluster.Kafka.BootstrapServers, topic, Enumerable.Range(0, 30).Select(i => $"m-{i}"));
        var jobs = await _cluster.Api.WaitForFinishedJobsAsync(SiloCluster.Ws, "u/ops/tls", 30);
        Assert.All(jobs, job => Assert.Equal("success", (string?)job["status"]));

        // An API front end is an Orleans client: with the cluster's certificate it drives the cluster through a gateway...
        await using var member = _cluster.Member("ApiHost", TlsSettings(Cluster));
        await member.StartAsync();
        Assert.Equal(30, (await member.CreateApiClient().ListJobsAsync(SiloCluster.Ws, "u/ops/tls")).Count);

        // ...one whose certificate another authority issued is refused by the gateways, though it trusts them (it knows
        // the cluster's public CA certificate): the refusal is the silos' doing, not its own. One without TLS gets nowhere.
        var impostor = TlsSettings(Stranger);
        impostor["Orleans__Tls__CertificateAuthority"] = Path.Combine(Cluster, "ca.crt");
        foreach (var settings in new[] { impostor, new Dictionary<string, string>() })
        {
            await using var outsider = _cluster.Member("ApiHost", settings);
            outsider.Launch();
            var output = await Eventually.WaitAsync(() => Task.FromResult(outsider.Output),
                o => o.Contains("Connection attempt to endpoint", StringComparison.Ordinal) && o.Contains(" failed", StringComparison.Ordinal),
                TimeSpan.FromSeconds(60), "the outsider's connections to the gateways to fail");
            Assert.DoesNotContain("rejected by the provided RemoteCertificateValidationCallback", output);
            Assert.False(await outsider.IsReadyAsync(), "an outsider's front end reports itself ready");
        }
    }

    private static Dictionary<string, string> TlsSettings(string directory) => new()
    {
        ["Orleans__Tls__Certificate"] = Path.Combine(directory, "tls.crt"),
        ["Orleans__Tls__Key"] = Path.Combine(directory, "tls.key"),
        ["Orleans__Tls__CertificateAuthority"] = Path.Combine(directory, "ca.crt"),
    };

    private static async Task MakeCertificatesAsync(string directory)
    {
        var start = new ProcessStartInfo(Path.Combine(RepoPaths.Root, "scripts", "cluster-certs.sh"), [directory]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var script = Process.Start(start)!;
        var errors = script.StandardError.ReadToEndAsync();
        await script.StandardOutput.ReadToEndAsync();
        await script.WaitForExitAsync();
        Assert.True(script.ExitCode == 0, $"cluster-certs.sh failed: {await errors}");
    }
}
