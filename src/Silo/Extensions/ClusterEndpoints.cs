using System.Net;
using Orleans.Configuration;

namespace Triggers.Silo.Extensions;

/// <summary>
/// Where the silo's cluster ports (silo-to-silo and gateway) listen. Whoever connects to them can call any grain, the
/// tokens grain included, so they never listen beyond loopback in plaintext: a silo that other machines must reach
/// (<c>Orleans:AdvertisedIP</c> not loopback, or <c>Orleans:ListenIP</c> set so) needs cluster TLS (<c>Orleans:Tls</c>),
/// which admits only peers holding a certificate of the cluster's authority, or it refuses to start.
/// </summary>
public sealed record ClusterEndpoints(IPAddress Advertised, IPAddress Listening, bool Tls)
{
    /// <exception cref="InvalidOperationException">The ports would listen beyond loopback without TLS, or an address is not one.</exception>
    public static ClusterEndpoints From(IConfiguration config, bool sharedStorage, bool tls)
    {
        // Without shared storage the cluster is this one silo on localhost; with it, others find this one at the advertised address.
        var advertised = sharedStorage ? Address(config, "Orleans:AdvertisedIP") ?? IPAddress.Loopback : IPAddress.Loopback;
        var listening = Address(config, "Orleans:ListenIP") ?? (IPAddress.IsLoopback(advertised) ? advertised : IPAddress.Any);
        if (!sharedStorage && !IPAddress.IsLoopback(listening))
            throw new InvalidOperationException($"Orleans:ListenIP is {listening}, but a silo without ConnectionStrings:Postgres is a cluster of one on this machine: its ports listen on loopback only.");
        if (!IPAddress.IsLoopback(listening) && !tls)
            throw new InvalidOperationException(
                $"The silo's cluster ports would listen on {listening} without TLS, and anyone who reaches them can act as the cluster's admin. " +
                "Give every silo and API front end the cluster's certificates (Orleans__Tls__Certificate, Orleans__Tls__Key, Orleans__Tls__CertificateAuthority; " +
                "scripts/cluster-certs.sh makes them, the Helm chart does by default), or keep the cluster on one machine with Orleans__AdvertisedIP=127.0.0.1.");
        return new ClusterEndpoints(advertised, listening, tls);
    }

    public void Apply(EndpointOptions options, int siloPort, int gatewayPort)
    {
        options.AdvertisedIPAddress = Advertised;
        options.SiloPort = siloPort;
        options.GatewayPort = gatewayPort;
        options.SiloListeningEndpoint = new IPEndPoint(Listening, siloPort);
        options.GatewayListeningEndpoint = new IPEndPoint(Listening, gatewayPort);
    }

    /// <summary>For the startup banner.</summary>
    public string Describe(EndpointOptions options) =>
        $"silo port {options.SiloPort} and gateway {options.GatewayPort} on {Listening}, " +
        (Tls ? "mutual TLS (a client needs the cluster's certificate)" : "plaintext (loopback only)");

    private static IPAddress? Address(IConfiguration config, string key) => config[key] switch
    {
        null or "" => null,
        var text when IPAddress.TryParse(text, out var address) => address,
        var text => throw new InvalidOperationException($"{key} must be an IP address, not '{text}'."),
    };
}
