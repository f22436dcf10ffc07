using System.Text.Json;

namespace Triggers.Jobs;

/// <summary>A job that failed for the last time, and the trigger's own handler if it has one.</summary>
[GenerateSerializer, Alias("Triggers.FailedJob")]
public sealed record FailedJob
{
    [Id(0)] public Job Job { get; init; } = new();
    [Id(1)] public string? TriggerErrorHandlerPath { get; init; }
    [Id(2)] public JsonElement? TriggerErrorHandlerArgs { get; init; }
}

/// <summary>
/// Runs the error handler for a workspace's finally failed jobs (key: the workspace): the trigger's own handler
/// if it has one, else the workspace's, as a job of its own.
/// </summary>
[Alias("Triggers.IErrorHandlerGrain")]
public interface IErrorHandlerGrain : IGrainWithStringKey
{
    /// <summary>Queues the handler job and returns its id, or null when no handler is configured.</summary>
    Task<Guid?> HandleAsync(FailedJob failed);
}
