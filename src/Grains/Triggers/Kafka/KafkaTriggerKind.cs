using System.Text.Json.Nodes;

namespace Triggers.Triggers.Kafka;

/// <summary>
/// Kafka triggers: without a preprocessor, main gets the message value (base64) as <c>payload</c>, or a batch's values
/// in offset order as <c>payloads</c>.
/// </summary>
public sealed class KafkaTriggerKind() : TriggerKind<IKafkaTriggerGrain>(KafkaTrigger.Kind)
{
    public override JsonObject MainArguments(JsonObject triggerEvent) =>
        (string?)triggerEvent["kind"] == KafkaJobFactory.BatchKind
            ? new() { ["payloads"] = new JsonArray(Messages(triggerEvent).Select(m => m?["payload"]?.DeepClone()).ToArray()) }
            : new() { ["payload"] = triggerEvent["payload"]?.DeepClone() };

    private static IEnumerable<JsonNode?> Messages(JsonObject batch) => batch["messages"] as JsonArray ?? [];
}
