using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Triggers.Extensions;
using Triggers.Runtimes.Sandbox;

namespace Triggers.Runtimes;

/// <summary>
/// The files through which the runtime and a wrapper program talk, in the job's directory:
/// <list type="bullet">
/// <item><c>input.json</c>: <c>{"parameters":[main's parameter names],"args":{…},"preprocess":bool,"event":…,"preprocess_only":bool}</c>
/// (with <c>preprocess_only</c>, main's bound arguments are the result and main does not run)</item>
/// <item><c>result.json</c>: <c>{"ok":true,"result":…,"args":{…}}</c> or
/// <c>{"ok":false,"error":{"name","message","stack"},"args":{…}}</c>, where <c>args</c> is what main got.</item>
/// </list>
/// </summary>
internal static class WrapperProtocol
{
    public const string InputFileName = "input.json";
    public const string ResultFileName = "result.json";

    // A result is stored with the job; beyond this it is a mistake rather than a result.
    private const long MaxResultBytes = 16 << 20;

    public static void WriteInput(string path, ScriptRun run) => File.WriteAllText(path, InputJson(run));

    /// <summary>input.json's content: what the wrapper needs to run one job.</summary>
    public static string InputJson(ScriptRun run)
    {
        var input = new JsonObject
        {
            ["parameters"] = new JsonArray([.. run.Signature.MainParameters.Select(name => (JsonNode?)JsonValue.Create(name))]),
            ["args"] = run.Args.DeepClone(),
            ["preprocess"] = run.RunsPreprocessor,
            ["event"] = run.RunsPreprocessor ? run.Event!.DeepClone() : null,
            ["preprocess_only"] = run.PreprocessOnly,
            // A dedicated worker's process sets these for the job it runs, and removes them after it.
            ["env"] = new JsonObject([.. (run.Variables ?? new Dictionary<string, string>()).Select(v => KeyValuePair.Create(v.Key, (JsonNode?)JsonValue.Create(v.Value)))]),
        };
        return input.ToJsonString();
    }

    /// <summary>
    /// Reads result.json from the job's <paramref name="directory"/>, which the job's own code could have replaced or
    /// turned into a link: only a regular file reached without any link (<see cref="JobFiles"/>) is read, and no more
    /// than the limit. A link (say to /dev/zero or a host file), or a FIFO (which would block the read), fails the job
    /// instead of blocking the slot, exhausting memory or handing back a file of the host. Null when there is no result file.
    /// </summary>
    public static ScriptOutcome? ReadResult(string directory, string logs, JsonObject knownMainArgs)
    {
        FileStream? opened;
        try { opened = JobFiles.OpenRead(directory, ResultFileName); }
        catch (JobFileRefusedException e) { return Invalid($"The job's result file is not read: {e.Message}."); }
        if (opened is null) return null;
        using var stream = opened;
        var length = stream.Length;
        if (length == 0)
            return Invalid($"The job's result file ({ResultFileName}) is empty; did the script write to it?");
        if (length > MaxResultBytes) return TooLarge(length);

        var measured = (int)length;
        var bytes = new byte[measured + 1];
        var read = stream.ReadAtLeast(bytes, bytes.Length, throwOnEndOfStream: false);
        if (read > measured)
            return Invalid($"The job's result file ({ResultFileName}) was still growing after the job ended (something it started kept writing to it).");
        return ParseResult(Encoding.UTF8.GetString(bytes, 0, read), logs, knownMainArgs);

        ScriptOutcome Invalid(string problem) => ScriptOutcome.Failure(JobFailures.InvalidResult(problem), knownMainArgs, logs);

        ScriptOutcome TooLarge(long size) => Invalid(
            $"main's result is {size / (1 << 20)} MiB of JSON; the limit is {MaxResultBytes / (1 << 20)} MiB. Return less (or write " +
            "large data somewhere else and return where it is).");
    }

    /// <summary>Turns result.json's content (or a dedicated worker's answer) into an outcome.</summary>
    public static ScriptOutcome ParseResult(string text, string logs, JsonObject knownMainArgs)
    {
        JsonObject report;
        try
        {
            // Cleaned first: System.Text.Json cannot write back a string holding half a surrogate pair.
            report = JsonNode.Parse(StoredText.Json(text)!) as JsonObject
                ?? throw new JsonException("it is not a JSON object");
        }
        catch (JsonException e)
        {
            return Invalid($"The job's result file ({ResultFileName}) is not the JSON the runtime expects: {e.Message} " +
                           "Did the script write to that file or end the process while it was being written?");
        }

        var mainArgs = Take(report, "args") as JsonObject ?? knownMainArgs;
        return report["ok"]?.GetValueKind() switch
        {
            JsonValueKind.True => ScriptOutcome.Success(Take(report, "result"), mainArgs, logs),
            JsonValueKind.False when report["error"] is JsonObject error =>
                ScriptOutcome.Failure(new(Text(error, "name") ?? "Error", Text(error, "message") ?? "", Text(error, "stack")), mainArgs, logs),
            _ => Invalid($"The job's result file ({ResultFileName}) has neither \"ok\":true nor \"ok\":false with an \"error\"."),
        };

        ScriptOutcome Invalid(string problem) => ScriptOutcome.Failure(JobFailures.InvalidResult(problem), knownMainArgs, logs);
    }

    /// <summary>Detaches a property so it can be handed on (a node has only one parent).</summary>
    private static JsonNode? Take(JsonObject report, string property)
    {
        report.TryGetPropertyValue(property, out var node);
        report.Remove(property);
        return node;
    }

    private static string? Text(JsonObject error, string property) =>
        error[property] is JsonValue value && value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : null;
}
