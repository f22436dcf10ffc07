using System.Reflection;
using System.Runtime.InteropServices;
using Confluent.Kafka;

namespace Triggers.Triggers.Kafka.Native;

/// <summary>
/// Ends a consumer's blocking <c>Consume</c> from another thread at once (librdkafka's <c>rd_kafka_queue_yield</c> on
/// the consumer queue), so that an idle poll loop can wait long between polls and still stop, or take a commit request,
/// without delay. A wake that comes while the loop is not waiting ends its next wait. Confluent.Kafka does not wrap
/// this call, nor expose the librdkafka handle it needs other than to itself: it is read from the client's
/// <see cref="Handle"/> (a test catches a Confluent.Kafka version that moves it).
/// </summary>
public sealed partial class ConsumerWakeup : IDisposable
{
    private static readonly PropertyInfo? HandleProperty =
        typeof(Handle).GetProperty("LibrdkafkaHandle", BindingFlags.Instance | BindingFlags.NonPublic);

    private readonly Lock _gate = new();
    private IntPtr _queue;

    /// <exception cref="InvalidOperationException">This Confluent.Kafka version keeps its handle elsewhere.</exception>
    public ConsumerWakeup(IConsumer<byte[]?, byte[]?> consumer)
    {
        ArgumentNullException.ThrowIfNull(consumer);
        Librdkafka.EnsureResolver();
        if (HandleProperty?.GetValue(consumer.Handle) is not SafeHandle handle)
            throw new InvalidOperationException($"Confluent.Kafka {typeof(Handle).Assembly.GetName().Version} has no librdkafka handle where ConsumerWakeup looks for it.");
        _queue = rd_kafka_queue_get_consumer(handle.DangerousGetHandle());
        if (_queue == IntPtr.Zero) throw new InvalidOperationException("The client has no consumer queue (it is not a group consumer).");
    }

    public void Wake()
    {
        lock (_gate)
            if (_queue != IntPtr.Zero) rd_kafka_queue_yield(_queue);
    }

    /// <summary>Gives the queue back: librdkafka requires it before the consumer is closed.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_queue == IntPtr.Zero) return;
            rd_kafka_queue_destroy(_queue);
            _queue = IntPtr.Zero;
        }
    }

    [LibraryImport(Librdkafka.Name)] private static partial IntPtr rd_kafka_queue_get_consumer(IntPtr rk);
    [LibraryImport(Librdkafka.Name)] private static partial void rd_kafka_queue_yield(IntPtr queue);
    [LibraryImport(Librdkafka.Name)] private static partial void rd_kafka_queue_destroy(IntPtr queue);
}
