using System.Text.Json.Nodes;
using Triggers.Jobs;

namespace Triggers.Runtimes;

/// <summary>How a script run ended.</summary>
/// <param name="Result">main's return value as JSON; null when it returned nothing (or on failure).</param>
/// <param name="MainArgs">The arguments main actually got, after the preprocessor and after dropping the ones main
/// does not declare. Empty when a preprocessor ran but the job died before reporting them.</param>
/// <param name="Logs">stdout and stderr, interleaved in arrival order, capped at about 1 MiB.</param>
public sealed record ScriptOutcome(bool Succeeded, JsonNode? Result, JsonObject MainArgs, string Logs, JobError? Error)
{
    public static ScriptOutcome Success(JsonNode? result, JsonObject mainArgs, string logs) =>
        new(true, result, mainArgs, logs, null);

    public static ScriptOutcome Failure(JobError error, JsonObject mainArgs, string logs) =>
        new(false, null, mainArgs, logs, error);
}
