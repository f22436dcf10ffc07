using System.Net;
using System.Net.Sockets;

namespace Triggers.Triggers.Kafka.Development;

/// <summary>
/// The embedded development broker: a one-broker mock cluster reached through a fixed port, so the Kafka resources a
/// newcomer saves keep pointing at it after a restart (the mock itself binds a new ephemeral port each time). Its
/// topics live in memory only.
/// </summary>
public sealed class DevKafkaServer : IAsyncDisposable
{
    private readonly MockKafkaCluster _cluster = new(brokers: 1);
    private readonly TcpListener? _listener;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _accepting = Task.CompletedTask;
    private readonly string _mockHost;
    private readonly int _mockPort;

    /// <param name="port">The fixed port; 0, or a port already taken, leaves the mock on its own ephemeral port.</param>
    public DevKafkaServer(int port)
    {
        var mock = _cluster.BootstrapServers.Split(',')[0];
        _mockHost = mock[..mock.LastIndexOf(':')];
        _mockPort = int.Parse(mock[(mock.LastIndexOf(':') + 1)..]);
        BootstrapServers = _cluster.BootstrapServers;
        if (port == 0) return;
        try
        {
            _listener = new TcpListener(IPAddress.Loopback, port);
            _listener.Start();
        }
        catch (SocketException e)
        {
            _listener = null;
            FixedPortProblem = $"port {port} is taken ({e.SocketErrorCode}), so this broker's address changes at every start";
            return;
        }
        // Clients learn broker addresses from metadata: advertise the fixed port, or they would bypass it.
        _cluster.AdvertiseBroker(1, "127.0.0.1", port);
        BootstrapServers = $"127.0.0.1:{port}";
        _accepting = AcceptAsync(_listener);
    }

    public string BootstrapServers { get; }

    /// <summary>Whether <paramref name="broker"/> (<c>host:port</c>) names this broker, under any loopback name.</summary>
    public bool IsAddressOf(string broker)
    {
        var port = BootstrapServers[(BootstrapServers.LastIndexOf(':') + 1)..];
        var colon = broker.LastIndexOf(':');
        if (colon < 0 || broker[(colon + 1)..] != port) return false;
        var host = broker[..colon].Trim('[', ']');
        return host is "localhost" || (System.Net.IPAddress.TryParse(host, out var address) && System.Net.IPAddress.IsLoopback(address));
    }

    /// <summary>This life of the broker: it starts empty every time, so what was stored from an earlier one is not its.</summary>
    public string Epoch { get; } = Guid.NewGuid().ToString("N")[..12];

    /// <summary>Why the broker is not on its fixed port, if it is not.</summary>
    public string? FixedPortProblem { get; }

    public void CreateTopic(string topic, int partitions) => _cluster.CreateTopic(topic, partitions);

    /// <summary>Produces a small JSON order to <paramref name="topic"/> every <paramref name="interval"/> until disposed:
    /// live traffic for the demo (<c>./run.sh --demo</c>) without a Kafka client on the machine.</summary>
    public void ProduceDemoOrders(string topic, TimeSpan interval)
    {
        _cluster.CreateTopic(topic, 2);
        _demo = Task.Run(async () =>
        {
            using var producer = new Confluent.Kafka.ProducerBuilder<string, string>(new Confluent.Kafka.ProducerConfig { BootstrapServers = BootstrapServers }).Build();
            for (var order = 1; !_stopping.IsCancellationRequested; order++)
            {
                var value = System.Text.Json.JsonSerializer.Serialize(new { order, item = DemoItems[order % DemoItems.Length], quantity = 1 + order % 3 });
                try { await producer.ProduceAsync(topic, new() { Key = $"customer-{order % 5}", Value = value }, _stopping.Token); }
                catch (Exception) when (_stopping.IsCancellationRequested) { return; }
                catch (Confluent.Kafka.ProduceException<string, string>) { } // the next one goes out on time anyway
                try { await Task.Delay(interval, _stopping.Token); }
                catch (OperationCanceledException) { return; }
            }
        });
    }

    private static readonly string[] DemoItems = ["coffee", "tea", "croissant", "bagel", "juice"];
    private Task _demo = Task.CompletedTask;

    private async Task AcceptAsync(TcpListener listener)
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket client;
            try { client = await listener.AcceptSocketAsync(_stopping.Token); }
            catch (Exception) when (_stopping.IsCancellationRequested) { return; }
            catch (SocketException) { continue; }
            _ = RelayAsync(client);
        }
    }

    private async Task RelayAsync(Socket client)
    {
        using var clientStream = new NetworkStream(client, ownsSocket: true);
        using var broker = new TcpClient { NoDelay = true };
        try
        {
            client.NoDelay = true;
            await broker.ConnectAsync(_mockHost, _mockPort, _stopping.Token);
            var brokerStream = broker.GetStream();
            // Either side closing ends the connection, as it would end a direct one.
            await Task.WhenAny(clientStream.CopyToAsync(brokerStream, _stopping.Token), brokerStream.CopyToAsync(clientStream, _stopping.Token));
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException) { }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _listener?.Stop();
        await _accepting;
        await _demo;
        _cluster.Dispose();
        _stopping.Dispose();
    }
}
