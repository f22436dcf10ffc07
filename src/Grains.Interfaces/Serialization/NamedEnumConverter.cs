using System.Text.Json.Serialization;

namespace Triggers.Serialization;

/// <summary>
/// An enum in the API is one of its names (<c>"enabled"</c>), never a number: <c>{"mode": 5}</c> is refused rather
/// than read as whatever value 5 happens to be.
/// </summary>
public sealed class NamedEnumConverter<TEnum>() : JsonStringEnumConverter<TEnum>(namingPolicy: null, allowIntegerValues: false)
    where TEnum : struct, Enum;
