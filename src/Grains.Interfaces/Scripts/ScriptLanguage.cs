using System.Text.Json.Serialization;
using Triggers.Serialization;

namespace Triggers.Scripts;

/// <summary>The languages a script can be written in; the JSON names are the API's.</summary>
[JsonConverter(typeof(NamedEnumConverter<ScriptLanguage>))]
public enum ScriptLanguage
{
    [JsonStringEnumMemberName("bun")] Bun,
    [JsonStringEnumMemberName("python3")] Python3,
    [JsonStringEnumMemberName("bash")] Bash,
}
