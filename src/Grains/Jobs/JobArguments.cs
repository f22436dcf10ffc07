using System.Text.Json.Nodes;

namespace Triggers.Jobs;

/// <summary>What a script's main, or a flow, receives when no preprocessor decides otherwise.</summary>
public static class JobArguments
{
    /// <summary>The trigger event a job was queued with (null for direct runs).</summary>
    public static JsonObject? Event(JobRecord job) => job.EventJson is null ? null : JsonNode.Parse(job.EventJson)!.AsObject();

    /// <summary>A direct run's own arguments, or what the job's trigger kind makes of its event.</summary>
    public static JsonObject Default(JobRecord job, JsonObject? triggerEvent, IJobTriggers triggers) =>
        job.ArgsJson is not null ? JsonNode.Parse(job.ArgsJson)!.AsObject()
        : triggerEvent is not null ? triggers.MainArguments(job, triggerEvent)
        : [];
}
