using System.Text.Json;
using System.Text.Json.Nodes;
using Triggers.Jobs.Execution;
using Triggers.Triggers;
using Triggers.Validation;

namespace Triggers.Jobs;

/// <summary>A retry policy's <c>retry_if</c>: whether a failed run may be rerun at all.</summary>
public static class RetryConditions
{
    /// <summary>
    /// True without a condition; otherwise the condition's truthiness, with <c>error</c> the run's error and
    /// <c>result</c> <c>{error}</c>. A condition that throws counts as false: the failure is final rather than rerun blindly.
    /// </summary>
    public static bool Allows(RetryPolicy retry, JobError? error)
    {
        if (retry.RetryIf is not { } condition) return true;
        var errorJson = JsonSerializer.SerializeToNode(error, JobJson.Options);
        try
        {
            var engine = JsExpressions.Engine(new Dictionary<string, JsonNode?>
            {
                ["error"] = errorJson, ["result"] = new JsonObject { ["error"] = errorJson?.DeepClone() },
            });
            return Jint.Runtime.TypeConverter.ToBoolean(engine.Evaluate($"({condition.Expr})"));
        }
        catch (Exception)
        {
            return false;
        }
    }

    /// <summary>Refuses at save a condition that does not parse.</summary>
    public static void Validate(RetryPolicy? retry, string field = "retry.retry_if")
    {
        if (retry?.RetryIf is { } condition && JsExpressions.ParseError(condition.Expr) is { } error)
            throw new InvalidInputException(field, $"The retry_if expression does not parse: {error}");
    }
}
