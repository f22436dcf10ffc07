using System.Text.Json;

namespace Triggers.Triggers;

/// <summary>
/// A trigger's filters: a message runs only if its value is a JSON object holding every filter's key with a
/// matching value. Objects match as supersets (the message may have more fields at any depth); anything else
/// must be equal. A value that is not a JSON object matches no filter.
/// </summary>
public sealed class MessageFilter(IReadOnlyList<TriggerFilter>? filters)
{
    private readonly IReadOnlyList<TriggerFilter> _filters = filters ?? [];

    public bool Matches(byte[]? value)
    {
        if (_filters.Count == 0) return true;
        if (value is null) return false;
        try
        {
            using var message = JsonDocument.Parse(value);
            return message.RootElement.ValueKind == JsonValueKind.Object
                   && _filters.All(f => message.RootElement.TryGetProperty(f.Key, out var field) && Contains(field, f.Value));
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static bool Contains(JsonElement actual, JsonElement expected) => expected.ValueKind == JsonValueKind.Object
        ? actual.ValueKind == JsonValueKind.Object
          && expected.EnumerateObject().All(p => actual.TryGetProperty(p.Name, out var inner) && Contains(inner, p.Value))
        : JsonElement.DeepEquals(actual, expected);
}
