using System.Text.Json.Serialization;

namespace Triggers.Scripts;

/// <summary>The languages a script can be written in; the JSON names are the API's.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ScriptLanguage>))]
public enum ScriptLanguage
{
    [JsonStringEnumMemberName("bun")] Bun,
    [JsonStringEnumMemberName("python3")] Python3,
    [JsonStringEnumMemberName("bash")] Bash,
}
