using System.Text.Json.Nodes;
using Jint;

namespace Triggers.Jobs.Execution;

/// <summary>
/// The JavaScript expressions users write (flow input transforms, retry conditions), run in Jint. An expression is a
/// small computation over the data it is given: bounded in time, depth, statements and memory, so a mistaken (or
/// hostile) one fails what it belongs to instead of exhausting the silo.
/// </summary>
public static class JsExpressions
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(2);
    public const long MemoryBytes = 64L << 20;

    /// <summary>An engine whose globals are the given JSON values.</summary>
    public static Engine Engine(IReadOnlyDictionary<string, JsonNode?> globals)
    {
        var engine = new Engine(options => options.TimeoutInterval(Timeout).LimitRecursion(64).MaxStatements(10_000)
            .LimitMemory(MemoryBytes).MaxArraySize(1_000_000));
        var json = new Jint.Native.Json.JsonParser(engine);
        foreach (var (name, value) in globals) engine.SetValue(name, json.Parse(value?.ToJsonString() ?? "null"));
        return engine;
    }

    /// <summary>Why the expression does not parse; null when it does.</summary>
    public static string? ParseError(string expr)
    {
        try
        {
            Jint.Engine.PrepareScript($"({expr})");
            return null;
        }
        catch (Exception e)
        {
            return e.Message;
        }
    }

    /// <summary>An exception of an evaluation in words: the memory limit is named rather than Jint's byte counts.</summary>
    public static string Describe(Exception e) => e is Jint.Runtime.MemoryLimitExceededException
        ? $"it used more than {MemoryBytes >> 20} MiB of memory, the limit for an expression"
        : e.Message;
}
