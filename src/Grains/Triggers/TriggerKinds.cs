using System.Text.Json.Nodes;
using Triggers.Extensions;
using Triggers.Jobs;

namespace Triggers.Triggers;

/// <summary>
/// The registered trigger kinds. The job path asks it about a job's trigger by the job's <c>trigger_kind</c>, so a
/// new kind gets retries, its error handler and its failure action without the job path knowing it.
/// </summary>
public sealed class TriggerKinds(IEnumerable<ITriggerKind> kinds, IGrainFactory grains) : IJobTriggers
{
    private readonly Dictionary<string, ITriggerKind> _byName = kinds.ToDictionary(k => k.Name);

    public IReadOnlyCollection<ITriggerKind> All => _byName.Values;

    public JsonObject MainArguments(JobRecord job, JsonObject triggerEvent) =>
        job.TriggerKind is { } name && _byName.TryGetValue(name, out var kind) ? kind.MainArguments(triggerEvent) : [];

    public async Task<TriggerFailurePolicy?> FailurePolicyAsync(JobRecord job) =>
        TriggerOf(job) is { } trigger ? await ClusterCalls.RetryAsync(trigger.GetFailurePolicyAsync) : null;

    public async Task OnFinalFailureAsync(JobRecord failed)
    {
        if (TriggerOf(failed) is { } trigger)
            await ClusterCalls.RetryAsync(() => trigger.OnJobFailedAsync(new FailedTriggerJob(failed.Id, failed.EventJson, failed.Error)));
    }

    /// <summary>The grain of the trigger that queued the job; null for direct runs, flow steps and error handlers.</summary>
    private ITriggerGrain? TriggerOf(JobRecord job) =>
        job is { TriggerKind: { } name, TriggerPath: { } path } && _byName.TryGetValue(name, out var kind)
            ? kind.Grain(grains, job.WorkspaceId, path)
            : null;
}
