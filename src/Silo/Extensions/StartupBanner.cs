using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Triggers.Api.Platform;
using Triggers.Runtimes.Sandbox;

namespace Triggers.Silo.Extensions;

/// <summary>Tells the person who started the silo where everything is, once it is listening.</summary>
public sealed class StartupBanner(
    IServer server, IHostApplicationLifetime lifetime, IConfiguration config, StartupInfo info, IServiceProvider services) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStarted.Register(Print);
        return Task.CompletedTask;
    }

    private void Print()
    {
        var url = server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault() ?? "http://localhost:5000";
        url = url.Replace("://[::]", "://localhost").Replace("://0.0.0.0", "://localhost").Replace("://+", "://localhost");
        var token = config["Auth:AdminToken"];
        var lines = new List<string>
        {
            "",
            "Orleans Triggers is running",
            $"  storage:      {info.Storage}",
            $"  API:          {url}/api   (reference: {url}/api/docs, OpenAPI: {url}/api/openapi.json)",
            $"  console:      {url}/console   (triggers, jobs and logs; sign in with the admin token)",
            $"  dashboard:    {url}/dashboard   (the Orleans cluster; the admin token is the password)",
            config["Auth:AdminTokenFile"] is { } tokenFile
                ? $"  admin token:  {token}   (generated into {tokenFile}; set Auth__AdminToken to choose one)"
                : "  admin token:  (from configuration Auth:AdminToken)",
        };
        if (services.GetService<ClusterEndpoints>() is { } cluster)
            lines.Add($"  cluster:      {cluster.Describe(services.GetRequiredService<IOptions<EndpointOptions>>().Value)}");
        if (services.GetService<JobSandbox>() is { } sandbox)
        {
            lines.Add($"  jobs:         {sandbox.Description}");
            lines.Add($"  job limits:   {sandbox.LimitsDescription}");
        }
        lines.Add($"  librdkafka:   {Confluent.Kafka.Library.VersionString} {Kerberos()}");
        if (services.GetService<DevKafkaBroker>() is { } broker)
            lines.Add($"  dev Kafka:    {broker.BootstrapServers}   (development broker, topics in memory; also GET /api/dev_kafka)" +
                      (broker.FixedPortProblem is { } problem ? $"{Environment.NewLine}                {problem}; set DevKafka__Port" : ""));
        lines.Add("");
        Console.WriteLine(string.Join(Environment.NewLine, lines));
    }

    private static string Kerberos() =>
        !Triggers.Kafka.Native.Librdkafka.HasGssapi ? "without Kerberos (GSSAPI): start through run.sh for it"
        : !Triggers.Kafka.Native.TicketCachePlugin.IsBuilt ? "with GSSAPI, but Kerberos resources fail: this build lacks the ticket-cache plugin (needs gcc and libkrb5-dev)"
        : "with Kerberos (GSSAPI)";

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
