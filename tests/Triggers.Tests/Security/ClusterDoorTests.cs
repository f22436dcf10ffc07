using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Triggers.Tests.Infrastructure;

namespace Triggers.Tests.Security;

/// <summary>
/// Whoever reaches a silo's Orleans ports with a working client can call any grain, the tokens grain included, and so
/// mint an admin token. These tests attack those ports as an outsider would, with our own API front end (an Orleans
/// client) lacking the cluster's certificate: on the embedded default, which makes its own cluster authority and keeps
/// the ports on loopback, and on a PostgreSQL cluster that other machines must reach.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class ClusterDoorTests(PostgresFixture postgres) : IDisposable
{
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("cluster-door-");

    public void Dispose() => _folder.Delete(recursive: true);

    private string Certificates => Path.Combine(_folder.FullName, "cluster-tls");

    [Fact]
    public async Task The_embedded_default_makes_its_own_authority_keeps_its_ports_on_loopback_and_refuses_a_client_without_its_certificate()
    {
        await using var silo = new SiloProcess(null, "door", new Dictionary<string, string> { ["Orleans__Tls__Directory"] = Certificates });
        await silo.StartAsync();
        Assert.Contains("mutual TLS", silo.Output);
        foreach (var file in new[] { "ca.crt", "ca.key", "tls.crt", "tls.key" })
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(Certificates, file)));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Certificates));

        // From another address of this machine the ports are closed: they listen on loopback only.
        var outside = MachineAddress();
        foreach (var port in new[] { silo.SiloPort, silo.GatewayPort })
        {
            using var tcp = new TcpClient();
            var refused = await Assert.ThrowsAsync<SocketException>(() => tcp.ConnectAsync(outside, port));
            Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
        }

        // On loopback, a front end without the certificate gets nowhere; one given the silo's folder drives it.
        var toGateway = new Dictionary<string, string> { ["Orleans__GatewayPort"] = silo.GatewayPort.ToString() };
        await using (var outsider = new SiloProcess(null, "door", toGateway, project: "ApiHost"))
            await AssertRefusedAsync(outsider);
        await using var member = new SiloProcess(null, "door", new Dictionary<string, string>(toGateway) { ["Orleans__Tls__Directory"] = Certificates }, project: "ApiHost");
        await member.StartAsync();
        await member.CreateApiClient().CreateWorkspaceAsync("door");

        // From inside a job, as a script author would try: neither port is there (the sandbox has a network of its own),
        // nor the certificate that would open them.
        var api = silo.CreateApiClient();
        await api.CreateScriptAsync("door", "u/ops/knock", "bash", $$"""
            probe() { if timeout 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; then echo open; else echo closed; fi; }
            key=$(cat '{{Path.Combine(Certificates, "tls.key")}}' >/dev/null 2>&1 && echo read || echo hidden)
            echo "gateway $(probe {{silo.GatewayPort}}) silo $(probe {{silo.SiloPort}}) key $key"
            """);
        var job = await api.WaitForJobEndAsync("door", await api.RunScriptAsync("door", "u/ops/knock", new { }));
        Assert.Equal("gateway closed silo closed key hidden", (string?)job["result"]);
    }

    [Fact]
    public async Task A_silo_other_machines_must_reach_refuses_to_listen_in_plaintext_and_with_TLS_refuses_a_client_without_the_certificate()
    {
        var database = await postgres.CreateDatabaseAsync();
        var outside = MachineAddress().ToString();
        var reachable = new Dictionary<string, string> { ["Orleans__AdvertisedIP"] = outside };

        await using (var plaintext = new SiloProcess(database, "reachable", reachable))
        {
            plaintext.Launch();
            var exit = await plaintext.WaitForExitAsync(TimeSpan.FromSeconds(60));
            Assert.NotEqual(0, exit);
            Assert.Contains($"would listen on 0.0.0.0 without TLS", plaintext.Output);
        }

        // The cluster's certificates, as the embedded default makes them; only the silo is given them.
        await using (var maker = new SiloProcess(null, "maker", new Dictionary<string, string> { ["Orleans__Tls__Directory"] = Certificates }))
            await maker.StartAsync();
        await using var silo = new SiloProcess(database, "reachable", new Dictionary<string, string>(reachable) { ["Orleans__Tls__Directory"] = Certificates });
        await silo.StartAsync();
        await using var outsider = new SiloProcess(database, "reachable", project: "ApiHost");
        await AssertRefusedAsync(outsider);
    }

    /// <summary>An Orleans client that is refused never becomes ready, and says its connections failed.</summary>
    private static async Task AssertRefusedAsync(SiloProcess client)
    {
        client.Launch();
        await Eventually.WaitAsync(() => Task.FromResult(client.Output),
            o => o.Contains("Connection attempt to endpoint", StringComparison.Ordinal) && o.Contains(" failed", StringComparison.Ordinal),
            TimeSpan.FromSeconds(60), "the client's connections to the gateway to fail");
        Assert.False(await client.IsReadyAsync(), "a client without the cluster's certificate reports itself ready");
    }

    /// <summary>An address of this machine other than loopback: where a network neighbour would connect.</summary>
    private static IPAddress MachineAddress() =>
        NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.OperationalStatus == OperationalStatus.Up && n.NetworkInterfaceType != NetworkInterfaceType.Loopback)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses)
            .Select(a => a.Address)
            .First(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a));
}
