using Orleans.Concurrency;
using System.Text.Json;
using Triggers.Scripts;
using Triggers.Validation;

namespace Triggers.Jobs;

/// <summary>
/// The authority on one job's lifecycle. Kafka ingest writes new jobs straight to the store in batches (a grain
/// call per message would cap throughput); from then on every change to a job goes through its grain.
/// </summary>
public sealed class JobGrain(IJobStore store, TimeProvider clock) : Grain, IJobGrain
{
    public async Task<Job> EnqueueScriptAsync(string workspaceId, string scriptPath, JsonElement args)
    {
        Names.RequirePath(scriptPath);
        if (args.ValueKind is not (JsonValueKind.Object or JsonValueKind.Undefined))
            throw new InvalidInputException("body", "The request body must be a JSON object of main's arguments, e.g. {\"name\": \"world\"}.");
        if (await GrainFactory.GetGrain<IScriptGrain>(Names.ItemKey(workspaceId, scriptPath)).GetAsync() is null)
            throw new NotFoundException($"No script at '{scriptPath}' in workspace '{workspaceId}'.");
        var job = new JobRecord
        {
            Id = this.GetPrimaryKey(),
            WorkspaceId = workspaceId,
            ScriptPath = scriptPath,
            ArgsJson = args.ValueKind == JsonValueKind.Object ? args.GetRawText() : "{}",
            CreatedAt = clock.GetUtcNow(),
        };
        await store.EnqueueAsync([job]);
        return job.ToJob();
    }

    public async Task<Job?> GetAsync() => (await store.GetAsync(this.GetPrimaryKey()))?.ToJob();

    public async Task CompleteAsync(JobOutcome outcome)
    {
        await store.CompleteAsync(this.GetPrimaryKey(), outcome);
        DeactivateOnIdle(); // jobs are many and finished ones are read from the store
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
