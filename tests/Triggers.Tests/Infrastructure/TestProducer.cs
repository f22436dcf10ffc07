using System.Text;
using Confluent.Kafka;

namespace Triggers.Tests.Infrastructure;

/// <summary>An ordinary Kafka producer, as a user's application would be.</summary>
public static class TestProducer
{
    public static async Task ProduceAsync(string bootstrap, string topic, IEnumerable<string> values, int? partition = null)
    {
        using var producer = new ProducerBuilder<string?, string>(new ProducerConfig { BootstrapServers = bootstrap, LingerMs = 5 }).Build();
        var sends = values.Select(v => partition is { } p
            ? producer.ProduceAsync(new TopicPartition(topic, p), new Message<string?, string> { Value = v })
            : producer.ProduceAsync(topic, new Message<string?, string> { Value = v })).ToList();
        await Task.WhenAll(sends);
    }

    public static Task ProduceAsync(string bootstrap, string topic, params string[] values) => ProduceAsync(bootstrap, topic, values.AsEnumerable());

    public static string Base64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));
}
