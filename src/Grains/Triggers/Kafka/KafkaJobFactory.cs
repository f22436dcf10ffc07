using System.Buffers;
using System.Text;
using System.Text.Json;
using Confluent.Kafka;
using Triggers.Jobs;

namespace Triggers.Triggers.Kafka;

/// <summary>Turns consumed messages into queued jobs, with ids that are the same every time a message is read.</summary>
public sealed class KafkaJobFactory(KafkaListenerSettings settings)
{
    private readonly string _idPrefix = $"kafka\n{settings.WorkspaceId}\n{settings.TriggerPath}\n{settings.GroupId}\n";

    public JobRecord Create(ConsumeResult<byte[]?, byte[]?> message, DateTimeOffset now) => new()
    {
        Id = JobId(message.Topic, message.Partition.Value, message.Offset.Value),
        WorkspaceId = settings.WorkspaceId,
        ScriptPath = settings.RunnablePath,
        IsFlow = settings.IsFlow,
        EventJson = EventJson(message),
        TriggerKind = "kafka",
        TriggerPath = settings.TriggerPath,
        CreatedAt = now,
        Held = settings.Suspended,
    };

    /// <summary>
    /// A name-based (version 5 style) UUID of workspace, trigger, group, topic, partition and offset: a message
    /// redelivered after a crash or rebalance maps to the job it already has.
    /// </summary>
    public Guid JobId(string topic, int partition, long offset) => JobIds.FromName($"{_idPrefix}{topic}\n{partition}\n{offset}");

    /// <summary>The event a preprocessor receives; payload, key and header values are base64.</summary>
    private string EventJson(ConsumeResult<byte[]?, byte[]?> message)
    {
        var buffer = new ArrayBufferWriter<byte>(256 + (message.Message.Value?.Length ?? 0) * 4 / 3);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("kind", "kafka");
            WriteBase64OrNull(json, "payload", message.Message.Value);
            json.WriteStartArray("brokers");
            foreach (var broker in settings.Connection.Brokers) json.WriteStringValue(broker);
            json.WriteEndArray();
            json.WriteString("topic", message.Topic);
            json.WriteString("group_id", settings.GroupId);
            json.WriteString("trigger_path", settings.TriggerPath);
            json.WriteNumber("partition", message.Partition.Value);
            json.WriteNumber("offset", message.Offset.Value);
            WriteBase64OrNull(json, "key", message.Message.Key);
            json.WriteStartObject("headers");
            foreach (var header in message.Message.Headers ?? [])
                json.WriteBase64String(header.Key, header.GetValueBytes() ?? []);
            json.WriteEndObject();
            if (message.Message.Timestamp.Type == TimestampType.NotAvailable) json.WriteNull("timestamp");
            else json.WriteString("timestamp", message.Message.Timestamp.UtcDateTime);
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void WriteBase64OrNull(Utf8JsonWriter json, string name, byte[]? value)
    {
        if (value is null) json.WriteNull(name);
        else json.WriteBase64String(name, value);
    }
}
