using System.Text.Json;

namespace Triggers.Serialization;

// User data (job arguments, results, resource values) is free-form JSON. Orleans has no codec for
// System.Text.Json's JsonElement, so it travels as its UTF-8 text.

[GenerateSerializer, Alias("Triggers.JsonElementSurrogate")]
public struct JsonElementSurrogate
{
    [Id(0)] public byte[] Utf8Json;
}

[RegisterConverter]
public sealed class JsonElementConverter : IConverter<JsonElement, JsonElementSurrogate>
{
    public JsonElement ConvertFromSurrogate(in JsonElementSurrogate surrogate) =>
        surrogate.Utf8Json is null or { Length: 0 } ? default : JsonDocument.Parse(surrogate.Utf8Json).RootElement.Clone();

    public JsonElementSurrogate ConvertToSurrogate(in JsonElement value) =>
        new() { Utf8Json = value.ValueKind == JsonValueKind.Undefined ? [] : JsonSerializer.SerializeToUtf8Bytes(value) };
}
