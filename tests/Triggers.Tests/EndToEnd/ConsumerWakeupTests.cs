using Confluent.Kafka;
using Triggers.Tests.Infrastructure;
using Triggers.Triggers.Kafka.Development;
using Triggers.Triggers.Kafka.Native;

namespace Triggers.Tests.EndToEnd;

/// <summary>
/// A consumer waiting in a long <c>Consume</c> returns as soon as another thread wakes it: what lets an idle trigger
/// poll rarely and still stop, or commit, at once.
/// </summary>
public sealed class ConsumerWakeupTests : IDisposable
{
    // Far longer than any deadline below: a Consume that returns in time was woken, not timed out.
    private static readonly TimeSpan LongPoll = TimeSpan.FromMinutes(3);
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private readonly MockKafkaCluster _kafka = new(brokers: 1);
    private readonly IConsumer<byte[]?, byte[]?> _consumer;

    public ConsumerWakeupTests()
    {
        _kafka.CreateTopic("quiet", 1);
        _consumer = new ConsumerBuilder<byte[]?, byte[]?>(new ConsumerConfig { BootstrapServers = _kafka.BootstrapServers, GroupId = "wakeup" }).Build();
        _consumer.Subscribe("quiet");
    }

    private Task<ConsumeResult<byte[]?, byte[]?>?> ConsumeOnAThread() =>
        Task.Factory.StartNew<ConsumeResult<byte[]?, byte[]?>?>(() => _consumer.Consume(LongPoll), TaskCreationOptions.LongRunning);

    [Fact]
    public async Task A_wake_ends_a_consume_that_is_waiting_for_messages()
    {
        using var wakeup = new ConsumerWakeup(_consumer);
        var consuming = ConsumeOnAThread();
        // The partition is assigned inside Consume, which then waits: there is no message.
        await Eventually.WaitAsync(() => Task.FromResult(_consumer.Assignment.Count), count => count == 1, Deadline, "the partition assigned");
        Assert.False(consuming.IsCompleted);

        wakeup.Wake();
        Assert.Null(await consuming.WaitAsync(Deadline));
    }

    [Fact]
    public async Task A_wake_while_nobody_waits_ends_the_next_wait_and_a_disposed_wakeup_does_nothing()
    {
        var wakeup = new ConsumerWakeup(_consumer);
        wakeup.Wake();
        Assert.Null(await ConsumeOnAThread().WaitAsync(Deadline));

        wakeup.Dispose();
        wakeup.Wake(); // after the queue is given back, e.g. a commit request racing a stopping consumer
    }

    public void Dispose()
    {
        _consumer.Close();
        _consumer.Dispose();
        _kafka.Dispose();
    }
}
