using System.Text.Json.Nodes;

namespace Triggers.Jobs;

/// <summary>What a script's main, or a flow, receives when no preprocessor decides otherwise.</summary>
public static class JobArguments
{
    /// <summary>The trigger event a job was queued with (null for direct runs).</summary>
    public static JsonObject? Event(JobRecord job) => job.EventJson is null ? null : JsonNode.Parse(job.EventJson)!.AsObject();

    /// <summary>A direct run's own arguments, or a triggered job's message value as <c>payload</c>.</summary>
    public static JsonObject Default(JobRecord job, JsonObject? kafkaEvent) =>
        job.ArgsJson is not null ? JsonNode.Parse(job.ArgsJson)!.AsObject()
        : kafkaEvent is not null ? new JsonObject { ["payload"] = kafkaEvent["payload"]?.DeepClone() }
        : [];
}
