using System.Reflection;
using System.Runtime.InteropServices;
using Confluent.Kafka;

namespace Triggers.Triggers.Kafka.Native;

/// <summary>
/// Lets an idle poll loop wait without a thread of its own, and wakes it from other threads.
/// <list type="bullet">
/// <item><see cref="Wake"/> ends a blocking <c>Consume</c> at once (librdkafka's <c>rd_kafka_queue_yield</c> on the
/// consumer queue) and ends <see cref="RestAsync"/>: a trigger stops, or takes a commit request, without delay. A wake
/// that comes while nobody waits ends the next wait.</item>
/// <item><see cref="RestAsync"/> waits, on no thread, until librdkafka puts something on the empty consumer queue (a
/// message, a rebalance, an error: <c>rd_kafka_queue_cb_event_enable</c>) or a wake comes. Hundreds of idle triggers then
/// cost a silo no poll threads. librdkafka calls back only during a rest: a busy consumer costs nothing extra.</item>
/// </list>
/// Confluent.Kafka wraps neither call, nor exposes the librdkafka handle they need other than to itself: it is read from
/// the client's <see cref="Handle"/> (a test catches a Confluent.Kafka version that moves it).
/// </summary>
public sealed partial class ConsumerWakeup : IDisposable
{
    private static readonly PropertyInfo? HandleProperty =
        typeof(Handle).GetProperty("LibrdkafkaHandle", BindingFlags.Instance | BindingFlags.NonPublic);

    // librdkafka calls this from its own threads, holding the queue's lock: it only signals, and nothing may escape it.
    private static readonly QueueEventCallback OnQueueEvent = (_, opaque) =>
    {
        try
        {
            // The callback is turned off before the handle is freed, so the handle is live here.
            if (GCHandle.FromIntPtr(opaque).Target is ConsumerWakeup wakeup) wakeup.Signal();
        }
        catch (Exception) { } // an exception here would end the process; a lost signal ends with the rest's limit
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
    }

    public void Wake()
    {
        lock (_gate)
            if (_queue != IntPtr.Zero) rd_kafka_queue_yield(_queue);
        Signal();
    }

    /// <summary>
    /// Waits, on no thread, until something arrives on the consumer queue or a wake comes (true), or for
    /// <paramref name="limit"/> (false). Returns at once when the queue holds something already, or when
    /// <paramref name="ready"/> says there is work: checked once librdkafka calls back, so nothing that comes later is missed.
    /// </summary>
    public async Task<bool> RestAsync(TimeSpan limit, Func<bool> ready)
    {
        while (_signal.Wait(0)) { } // signals of before the rest: what they announced was served
        lock (_gate)
        {
            if (_queue == IntPtr.Zero) return true;
            // Under the queue's lock, as librdkafka's call-backs are: an event is either counted below or signals.
            rd_kafka_queue_cb_event_enable(_queue, OnQueueEventPointer, GCHandle.ToIntPtr(_self));
        }
        try
        {
            if (Pending() > 0 || ready()) return true;
            return await _signal.WaitAsync(limit).ConfigureAwait(false);
        }
        finally
        {
            lock (_gate)
                if (_queue != IntPtr.Zero) rd_kafka_queue_cb_event_enable(_queue, IntPtr.Zero, IntPtr.Zero);
        }
    }

    /// <summary>How many events and messages wait on the consumer queue.</summary>
    internal long Pending()
    {
        lock (_gate) return _queue == IntPtr.Zero ? 0 : (long)rd_kafka_queue_length(_queue);
    }

    private void Signal()
    {
        if (_signal.CurrentCount > 0) return; // signalled already
        try { _signal.Release(); }
        catch (SemaphoreFullException) { } // signalled meanwhile
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
