using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Triggers.Jobs.Execution;

namespace Triggers.Triggers.Kafka;

/// <summary>
/// Where a connection test may connect on a user's say-so. Without this, the test is a port scanner that anyone with a
/// developer token (or a job's token) can point at the silo's own host: its loopback services, a cloud's metadata
/// endpoint on a link-local address, the cluster's own ports. Loopback, link-local, unspecified and multicast addresses,
/// and this host's own addresses at the cluster's ports (silo, gateway, API), are refused unless
/// <c>Kafka:AllowPrivateBrokers</c> lists them (entries: <c>host:port</c>, an IP address, or a CIDR block such as
/// <c>127.0.0.0/8</c>); the development broker is always allowed. Private networks (10/8, 192.168/16, ...) are where real
/// brokers live, so they are allowed.
/// </summary>
public sealed class BrokerAddressPolicy
{
    private readonly List<string> _allowedEndpoints = [];
    private readonly List<IPNetwork> _allowedNetworks = [];
    private readonly IOptions<EndpointOptions> _cluster;
    private readonly IInternalApiAddress? _api;

    public BrokerAddressPolicy(IConfiguration config, IOptions<EndpointOptions> cluster, IInternalApiAddress? api = null)
    {
        (_cluster, _api) = (cluster, api);
        var entries = config.GetSection("Kafka:AllowPrivateBrokers").Get<string[]>() ?? [];
        var development = config["Kafka:DevelopmentBroker"]?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [];
        foreach (var entry in entries.Concat(development).Select(e => e.Trim()).Where(e => e.Length > 0))
        {
            if (IPNetwork.TryParse(entry, out var network)) _allowedNetworks.Add(network);
            else if (IPAddress.TryParse(entry, out var address)) _allowedNetworks.Add(new IPNetwork(address, address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128));
            else _allowedEndpoints.Add(entry.ToLowerInvariant());
        }
    }

    /// <summary>Why a connection to a broker given as <c>host:port</c> (<c>[v6]:port</c>) is refused, or null when it may go.</summary>
    public Task<string?> RefusalAsync(string broker, CancellationToken ct = default) =>
        KafkaConnection.SplitBroker(broker) is var (host, port)
            ? RefusalAsync(host, port, ct)
            : Task.FromResult<string?>(null); // validation has named the field already

    /// <summary>Why a connection to <paramref name="host"/>:<paramref name="port"/> is refused, or null when it may go.</summary>
    public async Task<string?> RefusalAsync(string host, int port, CancellationToken ct = default)
    {
        if (_allowedEndpoints.Contains($"{host}:{port}".ToLowerInvariant())) return null;
        IPAddress[] addresses;
        try { addresses = IPAddress.TryParse(host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, ct); }
        catch (SocketException) { return null; } // unresolvable: the client finds it unreachable, with nothing reached
        foreach (var raw in addresses)
        {
            var address = raw.IsIPv4MappedToIPv6 ? raw.MapToIPv4() : raw;
            if (_allowedNetworks.Any(n => n.Contains(address))) continue;
            if (Private(address) is { } kind)
                return $"{host}:{port} is {kind} ({address}); a connection test reaches such addresses only when Kafka:AllowPrivateBrokers lists them.";
            if (ClusterPorts().Contains(port) && LocalAddresses().Contains(address))
                return $"{host}:{port} is one of this cluster's own ports; a connection test does not connect there.";
        }
        return null;
    }

    private static string? Private(IPAddress address) => address switch
    {
        _ when IPAddress.IsLoopback(address) => "a loopback address",
        _ when address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any) => "the unspecified address",
        { AddressFamily: AddressFamily.InterNetwork } when address.GetAddressBytes() is [169, 254, ..] => "a link-local address (where clouds serve instance metadata)",
        { AddressFamily: AddressFamily.InterNetwork } when address.GetAddressBytes()[0] >= 224 => "a multicast or reserved address",
        { IsIPv6LinkLocal: true } => "a link-local address",
        { IsIPv6Multicast: true } => "a multicast address",
        _ => null,
    };

    private HashSet<int> ClusterPorts()
    {
        var ports = new HashSet<int> { _cluster.Value.SiloPort, _cluster.Value.GatewayPort };
        if (_api is not null && Uri.TryCreate(_api.BaseUrl, UriKind.Absolute, out var api)) ports.Add(api.Port);
        return ports;
    }

    private static HashSet<IPAddress> LocalAddresses() =>
        NetworkInterface.GetAllNetworkInterfaces().SelectMany(n => n.GetIPProperties().UnicastAddresses).Select(a => a.Address).ToHashSet();
}
