using System.Text.Json;
using Triggers.Validation;

namespace Triggers.Triggers;

/// <summary>
/// A trigger's filters (see <see cref="TriggerFilter"/>): a message runs only if its value is a JSON object that
/// satisfies them, all of them or any of them as <see cref="FilterLogic"/> says. A value that is not a JSON object
/// satisfies no filter; with no filters every message runs. Groups left empty are ignored rather than deciding alone.
/// </summary>
public sealed class MessageFilter(IReadOnlyList<TriggerFilter>? filters, FilterLogic logic = FilterLogic.And)
{
    private readonly IReadOnlyList<TriggerFilter> _filters = WithoutEmptyGroups(filters) ?? [];

    public bool Matches(byte[]? value)
    {
        if (_filters.Count == 0) return true;
        if (value is null) return false;
        try
        {
            using var message = JsonDocument.Parse(value);
            return message.RootElement.ValueKind == JsonValueKind.Object && Satisfies(_filters, any: logic == FilterLogic.Or, message.RootElement);
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static bool Satisfies(IReadOnlyList<TriggerFilter> filters, bool any, JsonElement message) =>
        any ? filters.Any(f => Satisfies(f, message)) : filters.All(f => Satisfies(f, message));

    private static bool Satisfies(TriggerFilter filter, JsonElement message) => filter switch
    {
        { AnyOf: { } nested } => Satisfies(nested!, any: true, message),
        { AllOf: { } nested } => Satisfies(nested!, any: false, message),
        // A field the message does not carry satisfies a negation: nothing there can match.
        { NoneOf: { } nested } => !Satisfies(nested!, any: true, message),
        { Key: { } key } => message.TryGetProperty(key, out var field) && Contains(field, filter.Value!.Value),
        { Path: { } path } => Resolve(message, path) is { } field && Contains(field, filter.Value!.Value),
        _ => false,
    };

    /// <summary>The field at a dotted path through nested objects (never into arrays); null when there is none.</summary>
    private static JsonElement? Resolve(JsonElement message, string path)
    {
        var current = message;
        foreach (var segment in path.Split('.'))
            if (current.ValueKind != JsonValueKind.Object || !current.TryGetProperty(segment, out current)) return null;
        return current;
    }

    private static bool Contains(JsonElement actual, JsonElement expected) => expected.ValueKind switch
    {
        JsonValueKind.Object => actual.ValueKind == JsonValueKind.Object
            && expected.EnumerateObject().All(p => actual.TryGetProperty(p.Name, out var inner) && Contains(inner, p.Value)),
        JsonValueKind.Array => actual.ValueKind == JsonValueKind.Array
            && expected.EnumerateArray().All(item => actual.EnumerateArray().Any(candidate => Contains(candidate, item))),
        _ => JsonElement.DeepEquals(actual, expected),
    };

    private static IReadOnlyList<TriggerFilter>? WithoutEmptyGroups(IReadOnlyList<TriggerFilter?>? filters) =>
        filters?.OfType<TriggerFilter>().Select(f => f switch
        {
            { AnyOf: { } nested } => WithoutEmptyGroups(nested) is { Count: > 0 } kept ? f with { AnyOf = kept } : null,
            { AllOf: { } nested } => WithoutEmptyGroups(nested) is { Count: > 0 } kept ? f with { AllOf = kept } : null,
            { NoneOf: { } nested } => WithoutEmptyGroups(nested) is { Count: > 0 } kept ? f with { NoneOf = kept } : null,
            _ => f,
        }).OfType<TriggerFilter>().ToList();

    /// <summary>Refuses at save what could never be evaluated: each entry is exactly one criterion or one group.</summary>
    public static void Validate(IReadOnlyList<TriggerFilter?>? filters, string field = "filters")
    {
        for (var i = 0; i < (filters?.Count ?? 0); i++) Validate(filters![i], $"{field}[{i}]");
    }

    private static void Validate(TriggerFilter? filter, string field)
    {
        const string Shape = "A filter is {\"key\": \"type\", \"value\": \"order\"}, {\"path\": \"data.status\", \"value\": \"paid\"} " +
                             "or a group {\"any_of\" | \"all_of\" | \"none_of\": [filters]}.";
        if (filter is null) throw new InvalidInputException(field, $"A filter must not be null. {Shape}");
        var groups = new[] { ("any_of", filter.AnyOf), ("all_of", filter.AllOf), ("none_of", filter.NoneOf) }.Where(g => g.Item2 is not null).ToList();
        if (groups.Count > 0)
        {
            if (groups.Count > 1 || filter.Key is not null || filter.Path is not null || filter.Value is not null)
                throw new InvalidInputException(field, $"A group holds only one of any_of, all_of or none_of. {Shape}");
            var (name, nested) = groups[0];
            Validate(nested, $"{field}.{name}");
            return;
        }
        if (filter.Key is not null && filter.Path is not null)
            throw new InvalidInputException(field, $"A filter names its field with key or with path, not both. {Shape}");
        if (string.IsNullOrEmpty(filter.Key) && string.IsNullOrEmpty(filter.Path))
            throw new InvalidInputException(field, $"A filter needs a key (or a path) and a value. {Shape}");
        if (filter.Path is { } path && path.Split('.').Any(string.IsNullOrEmpty))
            throw new InvalidInputException(field, $"The path '{path}' has an empty segment: write field names joined by dots, e.g. \"data.status\".");
        if (filter.Value is null || filter.Value.Value.ValueKind == JsonValueKind.Undefined)
            throw new InvalidInputException(field, $"A filter needs a value to compare with. {Shape}");
    }
}
