using System.Text.Json;
using System.Text.Json.Serialization;
using Triggers.Serialization;

namespace Triggers.Triggers;

/// <summary>
/// One criterion on an event's JSON value, or a group of them (Windmill's filter shape). <c>{key, value}</c> compares
/// a top-level field; <c>{path, value}</c> a field reached by a dotted path through nested objects;
/// <c>{any_of | all_of | none_of: [...]}</c> combines nested filters. An object value matches any superset of it,
/// an array value matches an array holding each of its items, anything else must be equal.
/// </summary>
[GenerateSerializer, Alias("Triggers.TriggerFilter")]
public sealed record TriggerFilter
{
    [Id(0), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Key { get; init; }
    [Id(1), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public JsonElement? Value { get; init; }
    [Id(2), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Path { get; init; }
    [Id(3), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public IReadOnlyList<TriggerFilter?>? AnyOf { get; init; }
    [Id(4), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public IReadOnlyList<TriggerFilter?>? AllOf { get; init; }
    [Id(5), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public IReadOnlyList<TriggerFilter?>? NoneOf { get; init; }
}

/// <summary>How a trigger's top-level filters combine: all must match (the default), or any.</summary>
[JsonConverter(typeof(NamedEnumConverter<FilterLogic>))]
public enum FilterLogic
{
    [JsonStringEnumMemberName("and")] And,
    [JsonStringEnumMemberName("or")] Or,
}
