using System.Net;
using OpenTelemetry.Metrics;
using Orleans.Configuration;
using Orleans.Dashboard;
using Orleans.Storage;
using Triggers.Api.Auth;
using Triggers.Api.Extensions;
using Triggers.Api.Platform;
using Triggers.Definitions;
using Triggers.Extensions;
using Triggers.Jobs.Execution;
using Triggers.Runtimes.Sandbox;
using Triggers.Security;
using Triggers.Silo.Storage;
using Triggers.Telemetry;
using Triggers.Triggers.Kafka.Development;

namespace Triggers.Silo.Extensions;

public static class SiloExtensions
{
    private const string AdoInvariant = "Npgsql";

    /// <summary>
    /// One silo with the API co-hosted, on one of three storages: <c>ConnectionStrings:Postgres</c> (production);
    /// without it, the embedded PostgreSQL when <c>EmbeddedPostgres:BinDirectory</c> is set (what <c>run.sh</c>
    /// starts: durable, same code path); otherwise localhost clustering and in-memory state. Both embedded
    /// storages come with a development Kafka broker.
    /// </summary>
    public static WebApplicationBuilder AddTriggersSilo(this WebApplicationBuilder builder)
    {
        var config = builder.Configuration;
        var postgres = config.GetConnectionString("Postgres");
        if (string.IsNullOrWhiteSpace(postgres)) postgres = null;
        var embedded = postgres is null ? StartEmbeddedPostgres(builder) : null;

        EnsureAdminToken(config);
        // The embedded default's cluster is mutual TLS too: a client without the generated certificate is refused.
        if (postgres is null && string.IsNullOrWhiteSpace(config["Orleans:Tls:Certificate"]))
            config["Orleans:Tls:Directory"] = ClusterAuthority.LoadOrCreate(config["Orleans:Tls:Directory"] ?? Path.Combine(".data", "cluster-tls")).Directory;
        builder.Services.AddTriggersApi(config);
        builder.Services.AddSingleton(new StartupInfo(
            embedded is not null ? $"embedded PostgreSQL {embedded.Version}, data in {embedded.DataDirectory} (./run.sh --in-memory keeps nothing)"
            : postgres is null ? "in memory: everything is gone when the silo stops" : "PostgreSQL"));
        if (config.GetValue("DevKafka:Enabled", embedded is not null || postgres is null)) AddDevKafka(builder.Services, config);
        postgres ??= embedded?.ConnectionString;
        if (postgres is not null) builder.Services.AddSingleton(sp => new SchemaMigrator(postgres, sp.GetRequiredService<ILogger<SchemaMigrator>>()));

        builder.UseOrleans(silo => ConfigureSilo(silo, config, postgres));
        builder.Services.AddSingleton<IInternalApiAddress, ServedApiAddress>();
        // Registered after the silo, so they start once it has joined the cluster.
        builder.Services.AddTriggersGrainServices(config, postgres);
        builder.Services.AddHostedService<StartupBanner>();
        builder.Services.AddHealthChecks().AddCheck<JobSandboxCheck>("jobs");
        builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics.AddMeter(TriggerMetrics.MeterNameOf(config)).AddPrometheusExporter());
        return builder;
    }

    public static void ConfigureSilo(ISiloBuilder silo, IConfiguration config, string? postgres)
    {
        var siloPort = config.GetValue("Orleans:SiloPort", EndpointOptions.DEFAULT_SILO_PORT);
        var gatewayPort = config.GetValue("Orleans:GatewayPort", EndpointOptions.DEFAULT_GATEWAY_PORT);
        silo.Configure<ClusterOptions>(o =>
        {
            o.ClusterId = config["Orleans:ClusterId"] ?? "orleans-triggers";
            o.ServiceId = config["Orleans:ServiceId"] ?? "orleans-triggers";
        });
        // Definitions hold free-form JSON, which only Orleans' own serializer carries (through our surrogate).
        silo.Services.AddSingleton<IGrainStorageSerializer, OrleansGrainStorageSerializer>();
        silo.AddDashboard();
        var certificates = ClusterCertificates.FromConfiguration(config);
        if (certificates is not null) silo.UseTls(certificates.Certificate, certificates.Configure);
        var endpoints = ClusterEndpoints.From(config, postgres is not null, certificates is not null);
        silo.Services.AddSingleton(endpoints);
        if (postgres is null)
        {
            silo.UseLocalhostClustering(siloPort, gatewayPort);
            silo.Configure<EndpointOptions>(o => endpoints.Apply(o, siloPort, gatewayPort));
            silo.AddMemoryGrainStorage(StorageNames.Definitions);
            silo.UseInMemoryReminderService();
            return;
        }
        // Notice a dead silo in seconds, so its triggers move soon (Orleans' defaults take tens of seconds).
        silo.Configure<ClusterMembershipOptions>(o =>
        {
            o.ProbeTimeout = TimeSpan.FromSeconds(2);
            o.NumMissedProbesLimit = 2;
            o.TableRefreshTimeout = TimeSpan.FromSeconds(5);
        });
        silo.Configure<ClusterMembershipOptions>(config.GetSection("Orleans:Membership"));
        silo.Configure<EndpointOptions>(o => endpoints.Apply(o, siloPort, gatewayPort));
        // In Kubernetes, Orleans also watches the pods, so a deleted pod's silo is declared dead at once.
        if (config.GetValue("Orleans:Kubernetes", false)) silo.UseKubernetesHosting();
        silo.UseAdoNetClustering(o => { o.Invariant = AdoInvariant; o.ConnectionString = postgres; });
        silo.AddAdoNetGrainStorage(StorageNames.Definitions, o => { o.Invariant = AdoInvariant; o.ConnectionString = postgres; });
        silo.UseAdoNetReminderService(o => { o.Invariant = AdoInvariant; o.ConnectionString = postgres; });
    }

    private static EmbeddedPostgres? StartEmbeddedPostgres(WebApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(EmbeddedPostgresOptions.Section).Get<EmbeddedPostgresOptions>() ?? new();
        if (string.IsNullOrWhiteSpace(options.BinDirectory)) return null;
        var embedded = EmbeddedPostgres.For(options).Start(builder.Configuration.GetValue("Workers:SandboxUid", new SandboxOptions().SandboxUid));
        builder.Services.AddSingleton(embedded);
        // Stopped once everything else has stopped: the silo's own shutdown still writes to it.
        builder.Services.AddHostedService(sp => new EmbeddedPostgresShutdown(embedded, sp.GetRequiredService<IHostApplicationLifetime>()));
        return embedded;
    }

    private static void AddDevKafka(IServiceCollection services, IConfiguration config)
    {
        var server = new DevKafkaServer(config.GetValue("DevKafka:Port", 29092));
        if (config["DevKafka:DemoTopic"] is { Length: > 0 } demoTopic) server.ProduceDemoOrders(demoTopic, TimeSpan.FromSeconds(2));
        services.AddSingleton(server);
        services.AddSingleton(new DevKafkaBroker(server.BootstrapServers, server.FixedPortProblem));
        // A loopback address that connection tests may reach all the same (BrokerAddressPolicy).
        config["Kafka:DevelopmentBroker"] = server.BootstrapServers;
    }

    /// <summary>Without a configured admin token, the one generated into <c>Auth:AdminTokenFile</c> (<c>.data/admin-token</c>)
    /// the first time: a newcomer's token, like their data, stays the same across restarts.</summary>
    private static void EnsureAdminToken(ConfigurationManager config)
    {
        if (!string.IsNullOrEmpty(config["Auth:AdminToken"])) return;
        var file = config["Auth:AdminTokenFile"] ?? Path.Combine(".data", "admin-token");
        config["Auth:AdminToken"] = GeneratedSecretFile.LoadOrCreate(file,
            () => Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16)), _ => { });
        config["Auth:AdminTokenFile"] = Path.GetFullPath(file);
    }

    /// <summary>Creates or upgrades the PostgreSQL schema before the silo touches the database.</summary>
    public static async Task PrepareStorageAsync(this WebApplication app)
    {
        if (app.Services.GetService<SchemaMigrator>() is { } migrator) await migrator.MigrateAsync(CancellationToken.None);
    }

    public static WebApplication MapTriggersEndpoints(this WebApplication app)
    {
        app.UseTriggersApi();
        app.MapTriggersApi();
        app.MapOrleansDashboard(routePrefix: "/dashboard").WithMetadata(new RequiresToken { Browser = true });
        var metrics = app.MapPrometheusScrapingEndpoint("/metrics");
        // Metrics name workspaces and triggers; Metrics:RequireToken=false opens them to a scraper that cannot send a token.
        if (app.Configuration.GetValue("Metrics:RequireToken", true)) metrics.WithMetadata(new RequiresToken { AllowBasic = true });
        return app;
    }
}

public sealed record StartupInfo(string Storage);
