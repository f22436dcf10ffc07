using System.Diagnostics;
using Confluent.Kafka;
using AutoOffsetReset = Triggers.Triggers.Kafka.AutoOffsetReset;

namespace Triggers.Triggers.Kafka;

/// <summary>Moves a trigger's consumer group while the trigger is not consuming.</summary>
public static class KafkaOffsets
{
    private static readonly TimeSpan AssignmentTimeout = TimeSpan.FromSeconds(60);

    /// <summary>Commits the low or high watermark of every partition of the trigger's topics. Returns what was committed.</summary>
    public static IReadOnlyList<TopicPartitionOffset> Reset(KafkaListenerSettings settings, AutoOffsetReset to, KafkaListenerOptions options) =>
        AsMember(settings, options, consumer => consumer.Assignment.Select(tp =>
        {
            var watermarks = consumer.QueryWatermarkOffsets(tp, TimeSpan.FromSeconds(10));
            return new TopicPartitionOffset(tp, to == AutoOffsetReset.Earliest ? watermarks.Low : watermarks.High);
        }).ToList());

    /// <summary>Commits the given positions.</summary>
    public static void Commit(KafkaListenerSettings settings, IReadOnlyList<TopicPartitionOffset> offsets, KafkaListenerOptions options) =>
        AsMember(settings, options, _ => offsets);

    /// <summary>
    /// Joins the group as the trigger's own consumer (same static instance id, so nobody else is waited for), commits
    /// what <paramref name="positions"/> chooses once the partitions are assigned, and leaves.
    /// </summary>
    private static IReadOnlyList<TopicPartitionOffset> AsMember(
        KafkaListenerSettings settings, KafkaListenerOptions options, Func<IConsumer<Ignore, Ignore>, IReadOnlyList<TopicPartitionOffset>> positions)
    {
        using var kerberos = KerberosFiles.For(settings.Connection.Security);
        var config = KafkaTriggerListener.ConsumerConfig(settings, options, kerberos);
        KafkaClientConfigs.CheckKerberos(config, settings.Connection);
        using var consumer = new ConsumerBuilder<Ignore, Ignore>(config).Build();
        consumer.Subscribe(settings.Topics);
        var waited = Stopwatch.StartNew();
        while (consumer.Assignment.Count == 0)
        {
            if (waited.Elapsed > AssignmentTimeout)
                throw new Validation.ConflictException($"The consumer group {settings.GroupId} gave no partitions within {AssignmentTimeout.TotalSeconds:0} s; is another consumer of the group still running?");
            consumer.Consume(TimeSpan.FromMilliseconds(100));
        }
        var offsets = positions(consumer);
        consumer.Commit(offsets);
        consumer.Close();
        return offsets;
    }
}
