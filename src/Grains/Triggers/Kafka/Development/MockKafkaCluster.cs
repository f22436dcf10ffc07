using System.Runtime.InteropServices;
using Triggers.Triggers.Kafka.Native;

namespace Triggers.Triggers.Kafka.Development;

/// <summary>
/// librdkafka's built-in mock cluster: real Kafka-protocol brokers on 127.0.0.1 TCP ports, usable by any
/// Kafka client in or out of this process. It backs the embedded development broker and the tests.
/// </summary>
public sealed partial class MockKafkaCluster : IDisposable
{
    private readonly IntPtr _handle;
    private readonly IntPtr _cluster;
    private int _disposed;

    public MockKafkaCluster(int brokers = 1, int initialRebalanceDelayMs = 0)
    {
        Librdkafka.EnsureResolver();
        var conf = rd_kafka_conf_new();
        var error = new byte[512];
        // The handle only hosts the mock brokers; quiet its complaint about having no bootstrap servers.
        rd_kafka_conf_set(conf, "log_level", "2", error, error.Length);
        _handle = rd_kafka_new(0, conf, error, error.Length);
        if (_handle == IntPtr.Zero)
            throw new InvalidOperationException($"Could not create the librdkafka handle for the mock cluster: {System.Text.Encoding.UTF8.GetString(error).TrimEnd('\0')}");
        _cluster = rd_kafka_mock_cluster_new(_handle, brokers);
        if (_cluster == IntPtr.Zero)
        {
            rd_kafka_destroy(_handle);
            throw new InvalidOperationException("librdkafka could not create a mock cluster.");
        }
        // By default the mock delays a group's first join by 3 s, which only slows everything down.
        rd_kafka_mock_group_initial_rebalance_delay_ms(_cluster, initialRebalanceDelayMs);
        BootstrapServers = Marshal.PtrToStringUTF8(rd_kafka_mock_cluster_bootstraps(_cluster))!;
    }

    /// <summary>The comma-separated <c>host:port</c> list clients connect to.</summary>
    public string BootstrapServers { get; }

    public void CreateTopic(string topic, int partitions, int replicationFactor = 1)
    {
        var err = rd_kafka_mock_topic_create(_cluster, topic, partitions, replicationFactor);
        if (err != 0) throw new InvalidOperationException($"The mock cluster could not create topic '{topic}': error {err}.");
    }

    /// <summary>Takes one broker (or, with -1, all of them) off the network, as a crash would.</summary>
    public void SetBrokerDown(int brokerId = -1) => Check(rd_kafka_mock_broker_set_down(_cluster, brokerId), "set down");

    public void SetBrokerUp(int brokerId = -1) => Check(rd_kafka_mock_broker_set_up(_cluster, brokerId), "set up");

    /// <summary>Makes a broker advertise another address, e.g. a TLS proxy in front of it (broker ids start at 1).</summary>
    public void AdvertiseBroker(int brokerId, string host, int port) =>
        Check(rd_kafka_mock_broker_set_host_port(_cluster, brokerId, host, port), "re-advertise");

    private static void Check(int err, string what)
    {
        if (err != 0) throw new InvalidOperationException($"The mock cluster could not {what} the broker: error {err}.");
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        rd_kafka_mock_cluster_destroy(_cluster);
        rd_kafka_destroy(_handle);
    }

    [LibraryImport(Librdkafka.Name)] private static partial IntPtr rd_kafka_conf_new();
    [LibraryImport(Librdkafka.Name, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int rd_kafka_conf_set(IntPtr conf, string name, string value, byte[] errstr, nint errstrSize);
    [LibraryImport(Librdkafka.Name)] private static partial IntPtr rd_kafka_new(int type, IntPtr conf, byte[] errstr, nint errstrSize);
    [LibraryImport(Librdkafka.Name)] private static partial void rd_kafka_destroy(IntPtr rk);
    [LibraryImport(Librdkafka.Name)] private static partial IntPtr rd_kafka_mock_cluster_new(IntPtr rk, int brokerCount);
    [LibraryImport(Librdkafka.Name)] private static partial void rd_kafka_mock_cluster_destroy(IntPtr cluster);
    [LibraryImport(Librdkafka.Name)] private static partial IntPtr rd_kafka_mock_cluster_bootstraps(IntPtr cluster);
    [LibraryImport(Librdkafka.Name, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int rd_kafka_mock_topic_create(IntPtr cluster, string topic, int partitions, int replicationFactor);
    [LibraryImport(Librdkafka.Name)] private static partial int rd_kafka_mock_broker_set_down(IntPtr cluster, int brokerId);
    [LibraryImport(Librdkafka.Name)] private static partial int rd_kafka_mock_broker_set_up(IntPtr cluster, int brokerId);
    [LibraryImport(Librdkafka.Name)] private static partial void rd_kafka_mock_group_initial_rebalance_delay_ms(IntPtr cluster, int delayMs);
    [LibraryImport(Librdkafka.Name, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int rd_kafka_mock_broker_set_host_port(IntPtr cluster, int brokerId, string host, int port);
}
