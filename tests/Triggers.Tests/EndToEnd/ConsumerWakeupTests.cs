using Confluent.Kafka;
using Triggers.Tests.Infrastructure;
using Triggers.Triggers.Kafka.Development;
using Triggers.Triggers.Kafka.Native;

namespace Triggers.Tests.EndToEnd;

/// <summary>
/// A consumer waiting in a long <c>Consume</c> returns as soon as another thread wakes it, and a wait without a thread
/// ends when librdkafka puts something on the empty consumer queue: what lets an idle trigger give its thread back and
/// still take a message, stop, or commit, at once.
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
        // From the start: a message produced while the consumer still looks up the topic's end must not be skipped.
        _consumer = new ConsumerBuilder<byte[]?, byte[]?>(new ConsumerConfig { BootstrapServers = _kafka.BootstrapServers, GroupId = "wakeup", AutoOffsetReset = AutoOffsetReset.Earliest }).Build();
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

    [Fact]
    public async Task A_rest_ends_at_once_with_work_to_do_and_otherwise_when_a_message_arrives_or_a_wake_comes()
    {
        using var wakeup = new ConsumerWakeup(_consumer);
        // Serve the group join (its rebalance arrives on the queue) until the partition is assigned and nothing waits.
        await Eventually.WaitAsync(() => Task.FromResult(_consumer.Consume(TimeSpan.FromMilliseconds(100)) is null && _consumer.Assignment.Count == 1 && wakeup.Pending() == 0),
            Deadline, "the partition assigned and the queue empty");
        Assert.True(await wakeup.RestAsync(LongPoll, ready: () => true).WaitAsync(Deadline)); // e.g. a commit request

        var resting = wakeup.RestAsync(LongPoll, ready: () => false);
        Assert.False(resting.IsCompleted);

        await TestProducer.ProduceAsync(_kafka.BootstrapServers, "quiet", "hello");
        Assert.True(await resting.WaitAsync(Deadline));
        Assert.True(wakeup.Pending() > 0); // the message woke it
        Assert.Equal("hello", System.Text.Encoding.UTF8.GetString(_consumer.Consume(Deadline)!.Message.Value!));

        resting = wakeup.RestAsync(LongPoll, ready: () => false);
        Assert.False(resting.IsCompleted);
        wakeup.Wake();
        Assert.True(await resting.WaitAsync(Deadline));
    }

    public void Dispose()
    {
        _consumer.Close();
        _consumer.Dispose();
        _kafka.Dispose();
    }
}
