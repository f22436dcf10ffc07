using System.Text.Json;
using System.Text.Json.Nodes;
using Jint;
using Jint.Native;
using Triggers.Validation;

using Triggers.Flows;

namespace Triggers.Jobs.Execution;

/// <summary>Computes a step's arguments from its input transforms; JavaScript runs in Jint, sandboxed and bounded.</summary>
public static class InputTransforms
{
    private static readonly TimeSpan ExpressionTimeout = TimeSpan.FromSeconds(2);
    private const long ExpressionMemoryBytes = 64L << 20;

    /// <summary>Checks a module's transforms when the flow is saved; the exception names the offending one.</summary>
    public static void Validate(IReadOnlyDictionary<string, InputTransform>? transforms, string field)
    {
        foreach (var (name, transform) in transforms ?? new Dictionary<string, InputTransform>())
        {
            var at = $"{field}.input_transforms.{name}";
            if (transform is null)
                throw new InvalidInputException(at, "A transform must be an object: {\"type\": \"static\", \"value\": ...} or {\"type\": \"javascript\", \"expr\": \"...\"}, not null.");
            switch (transform.Type)
            {
                case InputTransform.Static:
                    break;
                case InputTransform.JavaScript when string.IsNullOrWhiteSpace(transform.Expr):
                    throw new InvalidInputException(at, "A javascript transform needs an expr, e.g. \"results.a.total * 2\".");
                case InputTransform.JavaScript:
                    try { Engine.PrepareScript($"({transform.Expr})"); }
                    catch (Exception e) { throw new InvalidInputException(at, $"The expression does not parse: {e.Message}"); }
                    break;
                default:
                    throw new InvalidInputException($"{at}.type", $"'{transform.Type}' is not a transform type: use \"static\" or \"javascript\".");
            }
        }
    }

    /// <summary>The step's arguments, by parameter name.</summary>
    public static JsonObject Evaluate(IReadOnlyDictionary<string, InputTransform>? transforms, JsonObject flowInput, JsonObject results, JsonNode? previousResult)
    {
        var args = new JsonObject();
        if (transforms is null || transforms.Count == 0) return args;
        Engine? engine = null;
        foreach (var (name, transform) in transforms)
        {
            if (transform.Type == InputTransform.Static)
            {
                args[name] = transform.Value is { } value ? JsonNode.Parse(value.GetRawText()) : null;
                continue;
            }
            engine ??= NewEngine(flowInput, results, previousResult);
            try
            {
                args[name] = ToJson(engine, engine.Evaluate($"({transform.Expr})"));
            }
            catch (Exception e)
            {
                var why = e is Jint.Runtime.MemoryLimitExceededException
                    ? $"it used more than {ExpressionMemoryBytes >> 20} MiB of memory, the limit for an expression"
                    : e.Message;
                throw new InputTransformException($"The expression for '{name}' ({transform.Expr}) failed: {why}");
            }
        }
        return args;
    }

    private static Engine NewEngine(JsonObject flowInput, JsonObject results, JsonNode? previousResult)
    {
        // An expression is a small computation over the flow's data: bounded in time, depth, statements and memory, so
        // a mistaken (or hostile) one fails its step instead of exhausting the silo.
        var engine = new Engine(options => options.TimeoutInterval(ExpressionTimeout).LimitRecursion(64).MaxStatements(10_000)
            .LimitMemory(ExpressionMemoryBytes).MaxArraySize(1_000_000));
        var json = new Jint.Native.Json.JsonParser(engine);
        engine.SetValue("flow_input", json.Parse(flowInput.ToJsonString()));
        engine.SetValue("results", json.Parse(results.ToJsonString()));
        engine.SetValue("previous_result", json.Parse(previousResult?.ToJsonString() ?? "null"));
        return engine;
    }

    private static JsonNode? ToJson(Engine engine, JsValue value)
    {
        if (value.IsUndefined()) return null;
        var text = new Jint.Native.Json.JsonSerializer(engine).Serialize(value);
        return text.IsUndefined() ? null : JsonNode.Parse(text.AsString());
    }
}

/// <summary>A step's arguments could not be computed.</summary>
public sealed class InputTransformException(string message) : Exception(message);
