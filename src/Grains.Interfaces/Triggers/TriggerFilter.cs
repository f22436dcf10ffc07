using System.Text.Json;

namespace Triggers.Triggers;

/// <summary>An event runs only if its JSON value holds <see cref="Key"/> with a matching <see cref="Value"/>.</summary>
[GenerateSerializer, Alias("Triggers.TriggerFilter")]
public sealed record TriggerFilter([property: Id(0)] string Key, [property: Id(1)] JsonElement Value);
