using System.Buffers;
using System.Text;
using System.Text.Json;
using Confluent.Kafka;
using Triggers.Jobs;

namespace Triggers.Triggers.Kafka;

/// <summary>Turns consumed messages into queued jobs, with ids that are the same every time a message is read. Used
/// from one listener's thread.</summary>
public sealed class KafkaJobFactory(KafkaListenerSettings settings)
{
    /// <summary>The <c>kind</c> of the event of a job that takes several messages.</summary>
    public const string BatchKind = "kafka_batch";

    private readonly string _idPrefix = settings.JobIdPrefix;
    private readonly Dictionary<(string Topic, int Partition), uint> _partitionPrefixes = [];
    private readonly Dictionary<(string Topic, int Partition), string> _partitionOrderKeys = [];

    /// <summary>
    /// One job for messages of one partition, in offset order: a <c>kafka</c> event for one message when the trigger
    /// takes one per job, a <c>kafka_batch</c> event (its <c>messages</c> each a <c>kafka</c> event) otherwise.
    /// </summary>
    public JobRecord Create(IReadOnlyList<ConsumeResult<byte[]?, byte[]?>> messages, DateTimeOffset now)
    {
        var (first, last) = (messages[0], messages[^1]);
        var batched = settings.BatchSize > 1;
        return new()
        {
            Id = batched ? BatchJobId(first.Topic, first.Partition.Value, first.Offset.Value, last.Offset.Value) : JobId(first.Topic, first.Partition.Value, first.Offset.Value),
            WorkspaceId = settings.WorkspaceId,
            ScriptPath = settings.RunnablePath,
            IsFlow = settings.IsFlow,
            EventJson = batched ? BatchEventJson(messages) : EventJson(first),
            TriggerKind = KafkaTrigger.Kind,
            TriggerPath = settings.TriggerPath,
            CreatedAt = now,
            Held = settings.Suspended,
            OrderKey = OrderKey(first),
        };
    }

    /// <summary>What the job waits on, as <see cref="KafkaListenerSettings.Ordering"/> says: its partition, or its
    /// message's key (a message without a key waits on nothing).</summary>
    private string? OrderKey(ConsumeResult<byte[]?, byte[]?> message) => settings.Ordering switch
    {
        JobOrdering.Partition => PartitionOrderKey(message.Topic, message.Partition.Value),
        JobOrdering.Key when message.Message.Key is { } key =>
            $"{settings.SourceKey}\n{message.Topic}\nkey:{Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(key))}",
        _ => null,
    };

    /// <summary>
    /// A name-based UUID of workspace, trigger, group, generation, topic, partition and offset, ordered by offset within the
    /// partition (<see cref="JobIds.Ordered"/>): a message redelivered after a crash or rebalance maps to the job it
    /// already has.
    /// </summary>
    public Guid JobId(string topic, int partition, long offset) =>
        JobIds.Ordered(PartitionPrefix(topic, partition), offset, $"{_idPrefix}{topic}\n{partition}\n{offset}");

    /// <summary>The id of a batch job, from its partition and first and last offsets.</summary>
    public Guid BatchJobId(string topic, int partition, long first, long last) =>
        JobIds.Ordered(PartitionPrefix(topic, partition), first, $"{_idPrefix}{topic}\n{partition}\n{first}-{last}");

    private string PartitionOrderKey(string topic, int partition)
    {
        if (!_partitionOrderKeys.TryGetValue((topic, partition), out var key))
            _partitionOrderKeys[(topic, partition)] = key = $"{settings.SourceKey}\n{topic}\n{partition}";
        return key;
    }

    private uint PartitionPrefix(string topic, int partition)
    {
        if (!_partitionPrefixes.TryGetValue((topic, partition), out var prefix))
            _partitionPrefixes[(topic, partition)] = prefix = JobIds.GroupPrefix($"{_idPrefix}{topic}\n{partition}");
        return prefix;
    }

    /// <summary>The event a preprocessor receives; payload, key and header values are base64.</summary>
    public string EventJson(ConsumeResult<byte[]?, byte[]?> message) =>
        Json(256 + (message.Message.Value?.Length ?? 0) * 4 / 3, json => WriteEvent(json, message));

    private string BatchEventJson(IReadOnlyList<ConsumeResult<byte[]?, byte[]?>> messages) =>
        Json(256 + messages.Sum(m => 256 + (m.Message.Value?.Length ?? 0) * 4 / 3), json =>
        {
            json.WriteStartObject();
            json.WriteString("kind", BatchKind);
            WriteSource(json, messages[0]);
            json.WriteStartArray("messages");
            foreach (var message in messages) WriteEvent(json, message);
            json.WriteEndArray();
            json.WriteEndObject();
        });

    private static string Json(int sizeHint, Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(sizeHint);
        using (var json = new Utf8JsonWriter(buffer)) write(json);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private void WriteEvent(Utf8JsonWriter json, ConsumeResult<byte[]?, byte[]?> message)
    {
        json.WriteStartObject();
        json.WriteString("kind", KafkaTrigger.Kind);
        WriteBase64OrNull(json, "payload", message.Message.Value);
        WriteSource(json, message);
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

    /// <summary>Where a message came from: the fields a single event and a batch share.</summary>
    private void WriteSource(Utf8JsonWriter json, ConsumeResult<byte[]?, byte[]?> message)
    {
        json.WriteStartArray("brokers");
        foreach (var broker in settings.Connection.Brokers) json.WriteStringValue(broker);
        json.WriteEndArray();
        json.WriteString("topic", message.Topic);
        json.WriteString("group_id", settings.GroupId);
        json.WriteString("trigger_path", settings.TriggerPath);
        json.WriteNumber("partition", message.Partition.Value);
    }

    private static void WriteBase64OrNull(Utf8JsonWriter json, string name, byte[]? value)
    {
        if (value is null) json.WriteNull(name);
        else json.WriteBase64String(name, value);
    }
}
