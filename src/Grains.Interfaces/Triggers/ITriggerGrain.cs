using Triggers.Jobs;

namespace Triggers.Triggers;

/// <summary>
/// What the framework asks of every trigger grain (key <c>{workspace}/{path}</c>), whatever its kind: to be listening
/// if its mode says so, and what to do when one of its jobs fails.
/// </summary>
[Alias("Triggers.ITriggerGrain")]
public interface ITriggerGrain : IGrainWithStringKey
{
    /// <summary>Activates the trigger and starts its listener if it should be listening.</summary>
    Task EnsureListeningAsync();

    /// <summary>Starts the listener again, with what it uses read afresh (its Kafka resource was updated): a changed
    /// password or broker list takes effect at once. A trigger that is not listening stays as it is.</summary>
    Task ReconnectAsync();

    /// <summary>The trigger's retry policy and error handler; null when the trigger no longer exists.</summary>
    Task<TriggerFailurePolicy?> GetFailurePolicyAsync();

    /// <summary>The kind's own action for a job that failed for the last time (Kafka: its dead-letter topic).</summary>
    Task OnJobFailedAsync(FailedTriggerJob failed);
}

/// <summary>The management operations every trigger kind shares, as the API maps them once for all kinds.</summary>
[Alias("Triggers.ITriggerGrain`2")]
public interface ITriggerGrain<TTrigger, TStatus> : ITriggerGrain
    where TTrigger : ITriggerSettings
    where TStatus : ITriggerStatus
{
    Task<TriggerView<TTrigger, TStatus>> CreateAsync(TTrigger trigger);
    /// <param name="keepMode">The request did not say how the trigger listens: the stored mode stays.</param>
    Task<TriggerView<TTrigger, TStatus>> UpdateAsync(TTrigger trigger, bool keepMode);
    /// <summary>Moves the trigger to <c>trigger.Path</c> with the new settings: the trigger there takes over its
    /// consumer, its unfinished jobs and (when <paramref name="trigger"/> names none) its group; this one is gone.</summary>
    Task<TriggerView<TTrigger, TStatus>> RenameAsync(TTrigger trigger, bool keepMode);
    Task DeleteAsync();
    Task<TriggerView<TTrigger, TStatus>> SetModeAsync(TriggerMode mode);
    Task<TriggerView<TTrigger, TStatus>?> GetAsync();

    /// <summary>Lets workers take the jobs the trigger held back while suspended: all of them, or those of
    /// <paramref name="jobIds"/>. Returns how many.</summary>
    Task<int> ReleaseHeldJobsAsync(IReadOnlyList<Guid>? jobIds);

    /// <summary>Runs the trigger's failed jobs once more with their original events (those of <paramref name="jobIds"/>,
    /// or all failed since <paramref name="since"/>, or all): the dead-letter round trip without a topic. Returns their ids.</summary>
    Task<IReadOnlyList<Guid>> RedriveAsync(IReadOnlyList<Guid>? jobIds, DateTimeOffset? since);

    /// <summary>Cancels held jobs (all, or those of <paramref name="jobIds"/>): they end failed without running. Returns how many.</summary>
    Task<int> CancelHeldJobsAsync(IReadOnlyList<Guid>? jobIds);
}

/// <summary>A job of a trigger that failed for the last time, with the event it was queued for.</summary>
/// <param name="EventJson">The trigger's event as stored with the job (e.g. a Kafka message).</param>
[GenerateSerializer, Alias("Triggers.FailedTriggerJob")]
public sealed record FailedTriggerJob(
    [property: Id(0)] Guid JobId,
    [property: Id(1)] string? EventJson,
    [property: Id(2)] JobError? Error);
