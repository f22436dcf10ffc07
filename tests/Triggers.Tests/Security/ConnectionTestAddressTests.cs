using System.Net;
using System.Net.Http.Json;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Triggers.Tests.Infrastructure;

namespace Triggers.Tests.Security;

/// <summary>
/// The connection test, used as a port scanner by someone with a developer token: it refuses loopback, link-local and
/// the cluster's own ports (brokers and OAuth token endpoint alike) before connecting, unless Kafka:AllowPrivateBrokers
/// lists them; and where it may connect, a service that is not a broker gets the kind of failure back, never its banner.
/// </summary>
public sealed class ConnectionTestAddressTests : IAsyncLifetime, IDisposable
{
    private const string Ws = "probe";
    private const string Banner = "SSH-2.0-secret-banner-7f3a";
    private readonly TcpListener _service = new(IPAddress.Loopback, 0);
    private SiloProcess _strict = null!;
    private int _accepted;

    private int ServicePort => ((IPEndPoint)_service.LocalEndpoint).Port;

    public async Task InitializeAsync()
    {
        _service.Start();
        _ = AnswerWithBannerAsync();
        _strict = new SiloProcess(null, "probe", NoDevelopmentBroker);
        _strict.Unset("Kafka__AllowPrivateBrokers__0"); // the default: nothing private allowed
        _strict.Unset("Kafka__AllowPrivateBrokers__1");
        await _strict.StartAsync();
        await _strict.CreateApiClient().CreateWorkspaceAsync(Ws);
    }

    public async Task DisposeAsync() => await _strict.DisposeAsync();

    public void Dispose() => _service.Stop();

    private static readonly Dictionary<string, string> NoDevelopmentBroker = new() { ["DevKafka__Enabled"] = "false" };

    [Fact]
    public async Task Loopback_link_local_and_the_clusters_own_ports_are_refused_before_anything_connects()
    {
        var machine = NetworkInterface.GetAllNetworkInterfaces().SelectMany(n => n.GetIPProperties().UnicastAddresses)
            .Select(a => a.Address).First(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a));
        foreach (var (connection, field, reason) in new (object, string, string)[]
        {
            (Plain($"127.0.0.1:{ServicePort}"), "connection.brokers", "loopback"),
            (Plain($"localhost:{ServicePort}"), "connection.brokers", "loopback"),
            (Plain("169.254.169.254:80"), "connection.brokers", "link-local"),
            (Plain($"{machine}:{_strict.GatewayPort}"), "connection.brokers", "this cluster's own ports"),
            (new
            {
                brokers = new[] { "10.255.255.1:9092" },
                security = new
                {
                    label = "SASL_SSL", mechanism = "OAUTHBEARER", oauth_token_endpoint_url = $"http://127.0.0.1:{ServicePort}/token",
                    oauth_client_id = "c", oauth_client_secret = "s",
                },
            }, "connection.security.oauth_token_endpoint_url", "loopback"),
        })
        {
            using var response = await _strict.CreateApiClient().Http.PostAsJsonAsync($"/api/w/{Ws}/kafka_triggers/test", new { connection });
            var problem = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, problem.ToJsonString());
            Assert.Equal(field, (string?)problem["field"]);
            Assert.Contains(reason, (string?)problem["detail"]);
        }
        Assert.Equal(0, Volatile.Read(ref _accepted)); // nothing connected to the service on loopback
    }

    [Fact]
    public async Task Where_a_test_may_connect_a_service_that_is_not_a_broker_gives_back_only_the_kind_of_failure()
    {
        // The tests' usual silo allows loopback (its mock brokers live there), as an operator's AllowPrivateBrokers would.
        await using var allowing = new SiloProcess(null, "probe-allowed", NoDevelopmentBroker);
        await allowing.StartAsync();
        var api = allowing.CreateApiClient();
        await api.CreateWorkspaceAsync(Ws);

        using var response = await api.Http.PostAsJsonAsync($"/api/w/{Ws}/kafka_triggers/test", new { connection = Plain($"127.0.0.1:{ServicePort}") });
        var result = (await response.Content.ReadFromJsonAsync<JsonObject>())!;

        Assert.False((bool)result["ok"]!, result.ToJsonString());
        Assert.Contains((string?)result["error_kind"], new[] { "other", "unreachable" });
        // librdkafka reads the banner's first four bytes as a response size ("SSH-" is 1397966893): neither may come back.
        Assert.DoesNotContain("secret-banner", result.ToJsonString());
        Assert.DoesNotContain("1397966893", result.ToJsonString());
    }

    private static object Plain(string broker) => new { brokers = new[] { broker }, security = new { label = "PLAINTEXT" } };

    /// <summary>A service that is not Kafka: it greets every connection with its banner, as SSH does.</summary>
    private async Task AnswerWithBannerAsync()
    {
        try
        {
            while (true)
            {
                using var client = await _service.AcceptTcpClientAsync();
                Interlocked.Increment(ref _accepted);
                await client.GetStream().WriteAsync(Encoding.ASCII.GetBytes(Banner + "\r\n" + new string('x', 64)));
                await Task.Delay(200);
            }
        }
        catch (Exception e) when (e is ObjectDisposedException or SocketException or IOException) { }
    }
}
