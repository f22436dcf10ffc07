using System.Text.Json.Nodes;
using Triggers.Triggers;

namespace Triggers.Jobs;

/// <summary>
/// What the job path asks of the trigger that queued a job, without knowing its kind. The trigger framework answers
/// (<see cref="TriggerKinds"/>); for jobs no trigger queued, the answers are "nothing".
/// </summary>
public interface IJobTriggers
{
    /// <summary>What main receives for the job's trigger event when the runnable has no preprocessor.</summary>
    JsonObject MainArguments(JobRecord job, JsonObject triggerEvent);

    /// <summary>The trigger's retry policy and error handler; null when no trigger (or no longer one) stands behind the job.</summary>
    Task<TriggerFailurePolicy?> FailurePolicyAsync(JobRecord job);

    /// <summary>Runs the trigger kind's own action for a job that failed for the last time.</summary>
    Task OnFinalFailureAsync(JobRecord failed);
}
