using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Confluent.Kafka;

namespace Triggers.Triggers.Kafka;

/// <summary>
/// Produces the messages of finally failed jobs to a trigger's dead-letter topic, unchanged, with headers that
/// name the trigger, the job and the error. One producer per connection, shared by all triggers using it.
/// </summary>
public sealed class DeadLetterProducer : IDisposable
{
    public const string TriggerHeader = "x-orleans-triggers-trigger";
    public const string JobHeader = "x-orleans-triggers-job";
    public const string ErrorHeader = "x-orleans-triggers-error";

    private readonly ConcurrentDictionary<string, Lazy<(IProducer<byte[]?, byte[]?> Producer, KerberosFiles? Kerberos)>> _producers = new();

    /// <summary>Produces the job's message, or every message of its batch, in offset order.</summary>
    public async Task ProduceAsync(KafkaConnection connection, string topic, string triggerPath, FailedTriggerJob job)
    {
        using var json = JsonDocument.Parse(job.EventJson ?? throw new InvalidOperationException($"Job {job.JobId} has no Kafka event to dead-letter."));
        var kafkaEvent = json.RootElement;
        var messages = kafkaEvent.TryGetProperty("messages", out var batch) && batch.ValueKind == JsonValueKind.Array
            ? batch.EnumerateArray().ToList()
            : [kafkaEvent];
        var producer = Producer(connection);
        foreach (var message in messages)
            await producer.ProduceAsync(topic, DeadLetter(message, triggerPath, job));
    }

    private static Message<byte[]?, byte[]?> DeadLetter(JsonElement kafkaEvent, string triggerPath, FailedTriggerJob job)
    {
        var headers = new Headers();
        if (kafkaEvent.TryGetProperty("headers", out var original) && original.ValueKind == JsonValueKind.Object)
            foreach (var header in original.EnumerateObject()) headers.Add(header.Name, header.Value.GetBytesFromBase64());
        headers.Add(TriggerHeader, Encoding.UTF8.GetBytes(triggerPath));
        headers.Add(JobHeader, Encoding.UTF8.GetBytes(job.JobId.ToString()));
        headers.Add(ErrorHeader, Encoding.UTF8.GetBytes(job.Error is { } e ? $"{e.Name}: {e.Message}" : "unknown error"));
        return new Message<byte[]?, byte[]?>
        {
            Key = Bytes(kafkaEvent, "key"),
            Value = Bytes(kafkaEvent, "payload"),
            Headers = headers,
        };
    }

    private static byte[]? Bytes(JsonElement kafkaEvent, string property) =>
        kafkaEvent.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetBytesFromBase64() : null;

    private IProducer<byte[]?, byte[]?> Producer(KafkaConnection connection) =>
        _producers.GetOrAdd(JsonSerializer.Serialize(connection), _ => new(() =>
        {
            var kerberos = KerberosFiles.For(connection.Security); // kept as long as the producer
            var config = KafkaClientConfigs.Apply(new ProducerConfig(), connection, kerberos);
            KafkaClientConfigs.CheckKerberos(config, connection);
            return (new ProducerBuilder<byte[]?, byte[]?>(config).Build(), kerberos);
        })).Value.Producer;

    public void Dispose()
    {
        foreach (var (producer, kerberos) in _producers.Values.Where(p => p.IsValueCreated).Select(p => p.Value))
        {
            producer.Flush(TimeSpan.FromSeconds(5));
            producer.Dispose();
            kerberos?.Dispose();
        }
    }
}
