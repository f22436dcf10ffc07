using System.Reflection;
using System.Runtime.InteropServices;
using Confluent.Kafka;

namespace Triggers.Triggers.Kafka.Native;

/// <summary>
/// Lets an idle poll loop wait without a thread of its own, and wakes it from other threads.
/// <list type="bullet">
/// <item><see cref="Wake"/> ends a blocking <c>Consume</c> at once (librdkafka's <c>rd_kafka_queue_yield</c> on the
/// consumer queue) and ends <see cref="WaitAsync"/>: a trigger stops, or takes a commit request, without delay. A wake
/// that comes while nobody waits ends the next wait.</item>
/// <item><see cref="WaitAsync"/> waits, on no thread, until librdkafka puts something on the empty consumer queue (a
/// message, a rebalance, an error: <c>rd_kafka_queue_cb_event_enable</c>) or a wake comes. Hundreds of idle triggers then
/// cost a silo no poll threads.</item>
/// </list>
/// Confluent.Kafka wraps neither call, nor exposes the librdkafka handle they need other than to itself: it is read from
/// the client's <see cref="Handle"/> (a test catches a Confluent.Kafka version that moves it).
/// </summary>
public sealed partial class ConsumerWakeup : IDisposable
{
    private static readonly PropertyInfo? HandleProperty =
        typeof(Handle).GetProperty("LibrdkafkaHandle", BindingFlags.Instance | BindingFlags.NonPublic);

    // librdkafka calls this from its own threads, holding the queue's lock: it only signals.
    private static readonly QueueEventCallback OnQueueEvent = (_, opaque) =>
    {
        // Dispose turns the callback off before it frees the handle, so the handle is always live here.
        if (GCHandle.FromIntPtr(opaque).Target is ConsumerWakeup wakeup) wakeup.Signal();
    };
    private static readonly IntPtr OnQueueEventPointer = Marshal.GetFunctionPointerForDelegate(OnQueueEvent);

    private readonly Lock _gate = new();
    private readonly SemaphoreSlim _signal = new(0, 1);
    private GCHandle _self;
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
        _self = GCHandle.Alloc(this);
        rd_kafka_queue_cb_event_enable(_queue, OnQueueEventPointer, GCHandle.ToIntPtr(_self));
    }

    public void Wake()
    {
        lock (_gate)
            if (_queue != IntPtr.Zero) rd_kafka_queue_yield(_queue);
        Signal();
    }

    /// <summary>How many events and messages wait on the consumer queue.</summary>
    public long Pending
    {
        get
        {
            lock (_gate) return _queue == IntPtr.Zero ? 0 : (long)rd_kafka_queue_length(_queue);
        }
    }

    /// <summary>Forgets signals given before now: what they announced was consumed with the queue.</summary>
    public void Reset()
    {
        while (_signal.Wait(0)) { }
    }

    /// <summary>True when the queue got something (after it was empty) or a wake came; false after <paramref name="timeout"/>.
    /// Check <see cref="Pending"/> after <see cref="Reset"/> and before waiting: only a queue's first event signals.</summary>
    public Task<bool> WaitAsync(TimeSpan timeout) => _signal.WaitAsync(timeout);

    private void Signal()
    {
        try { _signal.Release(); }
        catch (SemaphoreFullException) { } // already signalled
    }

    /// <summary>Gives the queue back: librdkafka requires it before the consumer is closed.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_queue == IntPtr.Zero) return;
            // Taken under the queue's lock, which librdkafka holds while it calls back: no call is under way afterwards.
            rd_kafka_queue_cb_event_enable(_queue, IntPtr.Zero, IntPtr.Zero);
            _self.Free();
            rd_kafka_queue_destroy(_queue);
            _queue = IntPtr.Zero;
        }
    }

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate void QueueEventCallback(IntPtr rk, IntPtr opaque);

    [LibraryImport(Librdkafka.Name)] private static partial IntPtr rd_kafka_queue_get_consumer(IntPtr rk);
    [LibraryImport(Librdkafka.Name)] private static partial void rd_kafka_queue_yield(IntPtr queue);
    [LibraryImport(Librdkafka.Name)] private static partial nuint rd_kafka_queue_length(IntPtr queue);
    [LibraryImport(Librdkafka.Name)] private static partial void rd_kafka_queue_cb_event_enable(IntPtr queue, IntPtr callback, IntPtr opaque);
    [LibraryImport(Librdkafka.Name)] private static partial void rd_kafka_queue_destroy(IntPtr queue);
}
