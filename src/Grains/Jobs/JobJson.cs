using System.Text.Json;

namespace Triggers.Jobs;

/// <summary>The JSON of what jobs store and hand on (errors, attempts, handler arguments): snake_case, as the API shows it.</summary>
internal static class JobJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
}
