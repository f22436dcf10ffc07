using System.Text.Json;

namespace Triggers.Triggers.Kafka;

/// <summary>What connecting to a Kafka cluster found: its brokers and visible topics, or why it failed.</summary>
[GenerateSerializer, Alias("Triggers.KafkaConnectionTest")]
public sealed record KafkaConnectionTest
{
    [Id(0)] public bool Ok { get; init; }
    [Id(1)] public IReadOnlyList<string> Brokers { get; init; } = [];
    [Id(2)] public IReadOnlyList<string> Topics { get; init; } = [];
    /// <summary><c>unreachable</c>, <c>tls_handshake</c>, <c>certificate_verification</c>, <c>sasl</c>, <c>kerberos</c> or <c>other</c>.</summary>
    [Id(3)] public string? ErrorKind { get; init; }
    [Id(4)] public string? Error { get; init; }
    [Id(5)] public long ElapsedMs { get; init; }
}

/// <summary>Tries a connection from a silo (where triggers connect from), within a bounded time.</summary>
[Alias("Triggers.IKafkaConnectionTesterGrain")]
public interface IKafkaConnectionTesterGrain : IGrainWithIntegerKey
{
    /// <summary>Tests a stored resource (<paramref name="resourcePath"/>) or an inline resource value.</summary>
    Task<KafkaConnectionTest> TestAsync(string workspaceId, string? resourcePath, JsonElement? inlineValue);
}
