using Confluent.Kafka;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Triggers.Jobs;
using Triggers.Jobs.Store;
using Triggers.Telemetry;
using Triggers.Tests.Infrastructure;
using Triggers.Triggers;
using Triggers.Triggers.Kafka;
using Triggers.Triggers.Kafka.Development;

namespace Triggers.Tests.EndToEnd;

/// <summary>
/// An idle trigger's consumer gives its poll thread back (hundreds of idle triggers must not cost a silo hundreds of
/// threads), and comes back at once for a message, a commit request and a stop.
/// </summary>
public sealed class IdleListenerTests : IAsyncDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private readonly MockKafkaCluster _kafka = new(brokers: 1);
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly KafkaTriggerListener _listener;
    private bool _stopped;

    public IdleListenerTests()
    {
        _kafka.CreateTopic("idle", 1);
        var settings = new KafkaListenerSettings("ws", "u/test/idle", "u/test/script", IsFlow: false, GroupId: "idle-group", ["idle"],
            new KafkaConnection { Brokers = [_kafka.BootstrapServers] }, global::Triggers.Triggers.Kafka.AutoOffsetReset.Earliest);
        var metrics = new TriggerMetrics(_services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), new ConfigurationBuilder().Build());
        _listener = new KafkaTriggerListener(settings, new KafkaListenerOptions(), new InMemoryJobStore(new JobQueueSignal(), TimeProvider.System), metrics,
            NullLogger.Instance, TimeProvider.System);
    }

    private Task RestingAsync(string what) => Eventually.WaitAsync(() => Task.FromResult(_listener.Resting), Deadline, what);

    private Task<long?> CommittedAsync() => Task.FromResult(_listener.Status.Partitions.SingleOrDefault()?.CommittedOffset);

    [Fact]
    public async Task An_idle_consumer_rests_without_a_thread_and_wakes_for_a_message_a_commit_and_a_stop()
    {
        _listener.Start();
        await Eventually.WaitAsync(() => Task.FromResult(_listener.Status.Partitions.Count), count => count == 1, Deadline, "the partition assigned");
        await RestingAsync("the consumer resting once the partition is assigned and nothing arrives");
        // It stays in that rest: nothing wakes it while nothing arrives (a loop that woke at once would rest again and again).
        var rests = _listener.Rests;
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.True(_listener.Resting);
        Assert.Equal(rests, _listener.Rests);

        await TestProducer.ProduceAsync(_kafka.BootstrapServers, "idle", "one");
        await Eventually.WaitAsync(CommittedAsync, offset => offset == 1, Deadline, "the message stored and committed");
        Assert.Equal(1, _listener.Status.JobsCreated);
        await RestingAsync("the consumer resting again");

        // A commit request is carried out by the poll loop, which has to come back for it.
        await _listener.CommitAsync(new TopicPartitionOffset("idle", 0, 0)).WaitAsync(Deadline);
        Assert.Equal(0, await CommittedAsync());
        await RestingAsync("the consumer resting after the commit");

        _stopped = true;
        await _listener.DisposeAsync().AsTask().WaitAsync(Deadline);
        Assert.Equal(ListenerState.Stopped, _listener.Status.State);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stopped) await _listener.DisposeAsync();
        await _services.DisposeAsync();
        _kafka.Dispose();
    }
}
