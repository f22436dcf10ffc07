using System.Text.Json;
using Microsoft.Extensions.Logging;
using Orleans.Concurrency;
using Triggers.Flows;
using Triggers.Kafka;
using Triggers.KafkaTriggers;
using Triggers.Resources;
using Triggers.Scripts;
using Triggers.Security;
using Triggers.Telemetry;
using Triggers.Validation;

namespace Triggers.Jobs;

/// <summary>
/// The authority on one job's lifecycle. Kafka ingest writes new jobs straight to the store in batches (a grain
/// call per message would cap throughput); from then on every change to a job goes through its grain: the outcome
/// of each run, the decision to rerun it, and on its final failure the error handler and the dead-letter topic.
/// </summary>
public sealed class JobGrain(
    IJobStore store, DeadLetterProducer deadLetters, SecretProtector secrets, TriggerMetrics metrics, ILogger<JobGrain> logger, TimeProvider clock)
    : Grain, IJobGrain
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

    public async Task<Job?> GetAsync() => (await store.GetAsync(Id))?.ToJob();

    public async Task CompleteAsync(JobOutcome outcome)
    {
        var job = await store.GetAsync(Id) ?? throw new NotFoundException($"No job {Id}.");
        metrics.JobFinished(job.TriggerPath is { } t ? Names.ItemKey(job.WorkspaceId, t) : null, job.IsFlow, outcome.Succeeded, outcome.CompletedAt - outcome.StartedAt);
        // A flow's steps are retried and handled as part of their flow; handlers never get handlers.
        if (outcome.Succeeded || job.IsFlowStep)
        {
            await store.CompleteAsync(Id, outcome);
            DeactivateOnIdle(); // jobs are many and finished ones are read from the store
            return;
        }

        var trigger = await TriggerOfAsync(job);
        if (!job.IsErrorHandler && trigger?.Retry?.DelayBeforeRerun(job.Attempts, Random.Shared.NextDouble) is { } delay)
        {
            // The due time is stored with the job, so a rerun survives the silo that scheduled it.
            await store.RequeueAsync(Id, outcome, clock.GetUtcNow() + delay);
            return;
        }

        await store.CompleteAsync(Id, outcome);
        var failed = job.Completed(outcome);
        if (!job.IsErrorHandler)
        {
            await StartErrorHandlerAsync(failed, trigger);
            if (trigger?.DeadLetterTopic is { } topic) await DeadLetterAsync(failed, trigger, topic);
        }
        DeactivateOnIdle();
    }

    private async Task<KafkaTrigger?> TriggerOfAsync(JobRecord job) =>
        job is { TriggerKind: "kafka", TriggerPath: { } path }
            ? (await GrainFactory.GetGrain<IKafkaTriggerGrain>(Names.ItemKey(job.WorkspaceId, path)).GetAsync())?.Trigger
            : null;

    private async Task StartErrorHandlerAsync(JobRecord failed, KafkaTrigger? trigger)
    {
        var handlerId = await GrainFactory.GetGrain<IErrorHandlerGrain>(failed.WorkspaceId).HandleAsync(new FailedJob
        {
            Job = failed.ToJob(includeLogs: false),
            TriggerErrorHandlerPath = trigger?.ErrorHandlerPath,
            TriggerErrorHandlerArgs = trigger?.ErrorHandlerArgs,
        });
        if (handlerId is { } id) await store.LinkErrorHandlerAsync(Id, id);
    }

    private async Task DeadLetterAsync(JobRecord failed, KafkaTrigger trigger, string topic)
    {
        try
        {
            var resource = await GrainFactory.GetGrain<IResourceGrain>(Names.ItemKey(failed.WorkspaceId, trigger.KafkaResourcePath)).GetAsync()
                ?? throw new NotFoundException($"the trigger's resource '{trigger.KafkaResourcePath}' no longer exists");
            await deadLetters.ProduceAsync(secrets.RevealKafkaConnection(resource.Value), topic, failed);
        }
        catch (Exception e)
        {
            // The job's failure is recorded either way; the dead letter is a copy for operators.
            logger.LogWarning("Could not produce job {Job} to dead-letter topic {Topic}: {Error}", Id, topic, e.Message);
        }
    }
}

[StatelessWorker]
public sealed class JobCatalogGrain(IJobStore store) : Grain, IJobCatalogGrain
{
    public async Task<IReadOnlyList<Job>> ListAsync(JobQuery query)
    {
        var page = await store.ListAsync(query with
        {
            Page = Math.Max(1, query.Page),
            PerPage = Math.Clamp(query.PerPage, 1, 1000),
        });
        return page.Select(j => j.ToJob(includeLogs: false)).ToList();
    }
}
