using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Triggers.Tests.Infrastructure;

/// <summary>
/// The real silo host (Program) in this process, on the embedded default or on PostgreSQL, with its own
/// Orleans ports so several can run side by side. Kafka traffic goes over TCP to the tests' mock cluster.
/// </summary>
/// <param name="services">Extra registrations, e.g. a trigger kind that only the tests define.</param>
public sealed class SiloFactory(IReadOnlyDictionary<string, string?> settings, Action<IServiceCollection>? services = null) : WebApplicationFactory<Program>
{
    public const string AdminToken = "test-admin-token";

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("Auth:AdminToken", AdminToken);
        builder.UseSetting("DevKafka:Enabled", "false");
        builder.UseSetting("Orleans:SiloPort", FreePorts.Next().ToString());
        builder.UseSetting("Orleans:GatewayPort", FreePorts.Next().ToString());
        builder.UseSetting("Orleans:ClusterId", $"test-{Guid.NewGuid():N}");
        // Silos share this process: each exports only its own metrics (see TriggerMetrics.MeterNameOf).
        builder.UseSetting("Telemetry:MeterName", $"Orleans.Triggers.{Guid.NewGuid():N}");
        builder.UseSetting("Runtimes:Bun", new BunFixture().BunPath);
        builder.UseSetting("Kafka:SessionTimeoutMs", "6000");
        builder.UseSetting("Workers:Count", "2");
        builder.UseSetting("Workers:HostPorts:0", JobStateServer.Shared.Port.ToString());
        builder.UseSetting("Kafka:AllowPrivateBrokers:0", "127.0.0.0/8"); // the tests' mock brokers (by address or as localhost)
        builder.UseSetting("Kafka:AllowPrivateBrokers:1", "::1");
        builder.UseSetting("Logging:LogLevel:Default", "Warning"); // keep test output to what matters
        foreach (var (key, value) in settings) builder.UseSetting(key, value);
        if (services is not null) builder.ConfigureServices(services);
    }

    public TriggersApiClient CreateApiClient()
    {
        var http = CreateClient();
        http.DefaultRequestHeaders.Authorization = new("Bearer", AdminToken);
        return new TriggersApiClient(http);
    }
}
