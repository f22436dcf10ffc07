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
                    if (JsExpressions.ParseError(transform.Expr) is { } error)
                        throw new InvalidInputException(at, $"The expression does not parse: {error}");
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
                throw new InputTransformException($"The expression for '{name}' ({transform.Expr}) failed: {JsExpressions.Describe(e)}");
            }
        }
        return args;
    }

    private static Engine NewEngine(JsonObject flowInput, JsonObject results, JsonNode? previousResult) => JsExpressions.Engine(
        new Dictionary<string, JsonNode?> { ["flow_input"] = flowInput, ["results"] = results, ["previous_result"] = previousResult });

    private static JsonNode? ToJson(Engine engine, JsValue value)
    {
        if (value.IsUndefined()) return null;
        var text = new Jint.Native.Json.JsonSerializer(engine).Serialize(value);
        return text.IsUndefined() ? null : JsonNode.Parse(text.AsString());
    }
}

/// <summary>A step's arguments could not be computed.</summary>
public sealed class InputTransformException(string message) : Exception(message);
