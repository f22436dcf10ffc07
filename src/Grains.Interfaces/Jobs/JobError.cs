namespace Triggers.Jobs;

/// <summary>Why a job failed, in the shape error handlers receive it.</summary>
[GenerateSerializer, Alias("Triggers.JobError"), Immutable]
public sealed record JobError(
    [property: Id(0)] string Name,
    [property: Id(1)] string Message,
    [property: Id(2)] string? Stack = null);
