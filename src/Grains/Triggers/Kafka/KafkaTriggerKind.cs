using System.Text.Json.Nodes;

namespace Triggers.Triggers.Kafka;

/// <summary>Kafka triggers: without a preprocessor, main gets the message value (base64) as <c>payload</c>.</summary>
public sealed class KafkaTriggerKind() : TriggerKind<IKafkaTriggerGrain>(KafkaTrigger.Kind)
{
    public override JsonObject MainArguments(JsonObject triggerEvent) => new() { ["payload"] = triggerEvent["payload"]?.DeepClone() };
}
