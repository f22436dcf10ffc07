using System.Text.Json;
using Triggers.Flows;
using Triggers.Jobs.Store;
using Triggers.Scripts;
using Triggers.Triggers;
using Triggers.Validation;

namespace Triggers.Jobs;

/// <summary>
/// The authority on one job's lifecycle. Triggers write new jobs straight to the store in batches, and workers write
/// successful runs straight to it too (a grain call per job would cap throughput, see <see cref="JobCompletions"/>);
/// every decision goes through the job's grain: whether to rerun a failed run, and on its final failure the error
/// handler and the trigger's own failure action.
/// </summary>
public sealed class JobGrain(IJobStore store, IJobTriggers triggers, JobCompletions completions, TimeProvider clock) : Grain, IJobGrain
{
    private Guid Id => this.GetPrimaryKey();

    public async Task<Job> EnqueueAsync(string workspaceId, string path, bool isFlow, JsonElement args)
    {
        Names.RequirePath(path);
        if (args.ValueKind is not (JsonValueKind.Object or JsonValueKind.Undefined))
            throw new InvalidInputException("body", "The request body must be a JSON object of the arguments, e.g. {\"name\": \"world\"}.");
        var key = Names.ItemKey(workspaceId, path);
        var exists = isFlow
            ? await GrainFactory.GetGrain<IFlowGrain>(key).GetAsync() is not null
            : await GrainFactory.GetGrain<IScriptGrain>(key).GetAsync() is not null;
        if (!exists) throw new NotFoundException($"No {(isFlow ? "flow" : "script")} at '{path}' in workspace '{workspaceId}'.");
        var job = new JobRecord
        {
            Id = Id,
            WorkspaceId = workspaceId,
            ScriptPath = path,
            IsFlow = isFlow,
            ArgsJson = args.ValueKind == JsonValueKind.Object ? args.GetRawText() : "{}",
            CreatedAt = clock.GetUtcNow(),
        };
        await store.EnqueueAsync([job]);
        return job.ToJob();
    }

    public async Task<Job> EnqueuePreprocessAsync(string workspaceId, string path, JsonElement triggerEvent)
    {
        Names.RequirePath(path);
        if (triggerEvent.ValueKind != JsonValueKind.Object)
            throw new InvalidInputException("body", "The request body must be the event to preprocess, a JSON object, e.g. {\"kind\": \"kafka\", \"payload\": \"aGk=\", ...}.");
        var script = await GrainFactory.GetGrain<IScriptGrain>(Names.ItemKey(workspaceId, path)).GetAsync()
            ?? throw new NotFoundException($"No script at '{path}' in workspace '{workspaceId}'.");
        if (script.Signature is not { HasPreprocessor: true })
            throw new InvalidInputException("path", $"The script at '{path}' has no preprocessor: main gets the trigger's default arguments (payload).");
        var job = new JobRecord
        {
            Id = Id, WorkspaceId = workspaceId, ScriptPath = path, Kind = JobRecord.PreprocessKind, ArgsJson = "{}",
            EventJson = triggerEvent.GetRawText(), CreatedAt = clock.GetUtcNow(),
        };
        await store.EnqueueAsync([job]);
        return job.ToJob();
    }

    public async Task<Job?> GetAsync() => (await store.GetAsync(Id))?.ToJob();

    public async Task CompleteAsync(JobClaim claim, JobOutcome outcome)
    {
        var job = await store.GetAsync(Id) ?? throw new NotFoundException($"No job {Id}.");
        // Every write below is fenced by the claim too; checking first keeps a stale or repeated completion from
        // asking the trigger anything.
        if (job.Status != JobStatus.Running || job.Claim != claim) return;
        // A flow's steps are retried and handled as part of their flow; handlers never get handlers.
        if (JobCompletions.IsFinal(job, outcome))
        {
            if (await store.CompleteAsync(Id, claim, outcome)) completions.Record(job, outcome);
            DeactivateOnIdle(); // jobs are many and finished ones are read from the store
            return;
        }

        var policy = await triggers.FailurePolicyAsync(job);
        if (!job.IsErrorHandler && !outcome.NeverRerun && policy?.Retry is { } retry && RetryConditions.Allows(retry, outcome.Error)
            && retry.DelayBeforeRerun(job.Attempts, Random.Shared.NextDouble) is { } delay)
        {
            // The due time is stored with the job, so a rerun survives the silo that scheduled it.
            if (await store.RequeueAsync(Id, claim, outcome, clock.GetUtcNow() + delay)) completions.Record(job, outcome);
            return;
        }

        // Only the completion that ends the job starts its handler and failure action: never twice.
        if (!await store.CompleteAsync(Id, claim, outcome)) return;
        completions.Record(job, outcome);
        var failed = job.Completed(outcome);
        if (!job.IsErrorHandler)
        {
            await StartErrorHandlerAsync(failed, policy);
            await triggers.OnFinalFailureAsync(failed);
        }
        DeactivateOnIdle();
    }

    private async Task StartErrorHandlerAsync(JobRecord failed, TriggerFailurePolicy? policy)
    {
        var handlerId = await GrainFactory.GetGrain<IErrorHandlerGrain>(failed.WorkspaceId).HandleAsync(new FailedJob
        {
            Job = failed.ToJob(includeLogs: false),
            TriggerErrorHandlerPath = policy?.ErrorHandlerPath,
            TriggerErrorHandlerArgs = policy?.ErrorHandlerArgs,
        });
        if (handlerId is { } id) await store.LinkErrorHandlerAsync(Id, id);
    }
}
