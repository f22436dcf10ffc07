using System.Net;
using System.Text.RegularExpressions;
using Triggers.Tests.Infrastructure;
using Triggers.Triggers.Kafka.Development;

namespace Triggers.Tests.Cluster;

/// <summary>The standalone API front end drives the cluster as an Orleans client and serves the dashboard and the API reference.</summary>
[Collection(PostgresCollection.Name)]
public sealed partial class ApiHostTests(PostgresFixture postgres) : IAsyncLifetime
{
    private readonly MockKafkaCluster _kafka = new(brokers: 1);
    private readonly List<SiloProcess> _processes = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var process in _processes) await process.DisposeAsync();
        _kafka.Dispose();
    }

    [GeneratedRegex("""Active Silos</span>\s*<span class="info-box-number">(\d+)</span>""")]
    private static partial Regex ActiveSilos();

    [Fact]
    public async Task The_front_end_runs_triggers_on_the_silos_and_its_dashboard_renders_in_a_browser()
    {
        var database = await postgres.CreateDatabaseAsync();
        var clusterId = $"front-{Guid.NewGuid():N}";
        var silo = new SiloProcess(database, clusterId);
        var frontEnd = new SiloProcess(database, clusterId, project: "ApiHost");
        _processes.AddRange([silo, frontEnd]);
        await silo.StartAsync();
        await frontEnd.StartAsync();

        var api = frontEnd.CreateApiClient();
        var topic = $"front-{Guid.NewGuid():N}";
        _kafka.CreateTopic(topic, 1);
        await api.CreateWorkspaceAsync("front");
        await api.CreateKafkaResourceAsync("front", "u/ops/kafka", _kafka.BootstrapServers);
        await api.CreateScriptAsync("front", "u/ops/echo", "bun", "export async function main(payload: string) { return atob(payload); }");
        await api.CreateTriggerAsync("front", new { path = "u/ops/trigger", script_path = "u/ops/echo", kafka_resource_path = "u/ops/kafka", topics = new[] { topic } });
        var trigger = await api.WaitUntilListeningAsync("front", "u/ops/trigger", TimeSpan.FromSeconds(60));
        Assert.Contains($":{silo.SiloPort}:", (string?)trigger["server_id"]); // listening happens in the silo
        await TestProducer.ProduceAsync(_kafka.BootstrapServers, topic, "via the front end");
        var job = Assert.Single(await api.WaitForFinishedJobsAsync("front", "u/ops/trigger", 1));
        Assert.Equal("via the front end", (string?)job["result"]);

        using var anonymous = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{frontEnd.HttpPort}") };
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/health/ready")).StatusCode);

        // The dashboard shows grain state and trigger configuration: only for the admin token, which a browser sends as
        // the password of HTTP Basic (here in the URL, as after filling in its sign-in dialog).
        using (var refused = await anonymous.GetAsync("/dashboard/"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            Assert.StartsWith("Basic realm=", refused.Headers.WwwAuthenticate.ToString());
        }
        Assert.DoesNotContain("Orleans Dashboard", await HeadlessChromium.RenderAsync($"http://127.0.0.1:{frontEnd.HttpPort}/dashboard/"));
        var dom = await HeadlessChromium.RenderAsync($"http://admin:{SiloFactory.AdminToken}@127.0.0.1:{frontEnd.HttpPort}/dashboard/");
        Assert.Contains("Orleans Dashboard", dom);
        var silos = ActiveSilos().Match(dom);
        Assert.True(silos.Success, $"the dashboard's scripts rendered the overview:\n{dom[..Math.Min(dom.Length, 2000)]}");
        Assert.Equal("1", silos.Groups[1].Value);

        // The API reference renders from the front end's own OpenAPI document and scripts, with no internet.
        var docs = await HeadlessChromium.RenderAsync($"http://127.0.0.1:{frontEnd.HttpPort}/api/docs/");
        Assert.True(docs.Contains("commit_offsets", StringComparison.Ordinal), $"the reference page rendered the routes:\n{docs[..Math.Min(docs.Length, 2000)]}");

        // The trigger console is served by the front end too; without a token its script asks for one.
        var console = await HeadlessChromium.RenderAsync($"http://127.0.0.1:{frontEnd.HttpPort}/console");
        Assert.True(console.Contains("id=\"sign-in\"", StringComparison.Ordinal), $"the console's script rendered its sign-in form:\n{console[..Math.Min(console.Length, 2000)]}");
    }
}
