using Orleans.Configuration;
using Orleans.Dashboard;
using Triggers.Api.Platform;

namespace Triggers.ApiHost;

public static class ClusterClientExtensions
{
    /// <summary>
    /// Connects to the silo cluster as an Orleans client: through the gateways listed in PostgreSQL when
    /// <c>ConnectionStrings:Postgres</c> is set, else to a local silo's gateway (<c>Orleans:GatewayPort</c>).
    /// </summary>
    public static WebApplicationBuilder AddClusterClient(this WebApplicationBuilder builder)
    {
        var config = builder.Configuration;
        if (string.IsNullOrWhiteSpace(config["Auth:AdminToken"]))
            throw new InvalidOperationException("Set Auth__AdminToken to the cluster's admin token: the API front end does not make one up.");
        var postgres = config.GetConnectionString("Postgres");
        builder.UseOrleansClient(client =>
        {
            client.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = config["Orleans:ClusterId"] ?? "orleans-triggers";
                o.ServiceId = config["Orleans:ServiceId"] ?? "orleans-triggers";
            });
            if (string.IsNullOrWhiteSpace(postgres))
                client.UseLocalhostClustering(config.GetValue("Orleans:GatewayPort", EndpointOptions.DEFAULT_GATEWAY_PORT));
            else
                client.UseAdoNetClustering(o => { o.Invariant = "Npgsql"; o.ConnectionString = postgres; });
            client.AddDashboard();
            if (ClusterCertificates.FromConfiguration(config) is { } certificates) client.UseTls(certificates.Certificate, certificates.Configure);
        });
        return builder;
    }
}
