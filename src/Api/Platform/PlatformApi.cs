using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Triggers.Workspaces;

namespace Triggers.Api.Platform;

/// <summary>The bootstrap address of the embedded development broker, when the silo runs one.</summary>
/// <param name="FixedPortProblem">Why it is not on its fixed port (DevKafka:Port), so resources naming it break on restart.</param>
public sealed record DevKafkaBroker(string BootstrapServers, string? FixedPortProblem = null);

public static class PlatformApi
{
    public static readonly string Version =
        typeof(PlatformApi).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    public static IEndpointRouteBuilder MapPlatformApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/version", () => Results.Text($"Orleans Triggers v{Version}"));
        return app;
    }

    public static RouteGroupBuilder MapDevKafkaApi(this RouteGroupBuilder api)
    {
        api.MapGet("/dev_kafka", (IServiceProvider services) =>
            services.GetService<DevKafkaBroker>() is { } broker
                ? Results.Ok(broker)
                : Results.Problem(statusCode: 404, title: "Not found", detail: "This server runs no development broker (DevKafka:Enabled is false); point your Kafka resources at your own brokers."));
        return api;
    }
}

/// <summary>Ready when a grain call round-trips, i.e. the silo has joined its cluster and storage answers.</summary>
public sealed class ClusterReadyCheck(IGrainFactory grains) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
    {
        try
        {
            await grains.GetGrain<IWorkspaceDirectoryGrain>(0).ListAsync().WaitAsync(TimeSpan.FromSeconds(5), ct);
            return HealthCheckResult.Healthy();
        }
        catch (Exception e)
        {
            return HealthCheckResult.Unhealthy($"The cluster does not answer: {e.Message}");
        }
    }
}
