using System.Text.Json;
using System.Text.Json.Nodes;
using Orleans.Concurrency;
using Triggers.Jobs.Store;
using Triggers.Workspaces;

namespace Triggers.Jobs.Failures;

[StatelessWorker]
public sealed class ErrorHandlerGrain(IJobStore store, TimeProvider clock) : Grain, IErrorHandlerGrain
{
    public async Task<Guid?> HandleAsync(FailedJob failed)
    {
        var job = failed.Job;
        if (job.FailedJobId is not null) return null; // a handler's own failure would otherwise loop

        var (path, isFlow, extraArgs) = failed.TriggerErrorHandlerPath is { } own
            ? (own, false, failed.TriggerErrorHandlerArgs)
            : await WorkspaceHandlerAsync(job.WorkspaceId);
        if (path is null) return null;

        var args = extraArgs is { ValueKind: JsonValueKind.Object } extra ? JsonNode.Parse(extra.GetRawText())!.AsObject() : [];
        // The standard arguments win over extra ones of the same name.
        args["error"] = JsonSerializer.SerializeToNode(job.Error, JobJson.Options);
        args["path"] = job.ScriptPath;
        args["is_flow"] = job.IsFlow;
        args["trigger_path"] = job.TriggerPath;
        args["workspace_id"] = job.WorkspaceId;
        args["job_id"] = job.Id.ToString();
        args["started_at"] = job.StartedAt;

        var handler = new JobRecord
        {
            Id = JobIds.ErrorHandlerOf(job.Id),
            WorkspaceId = job.WorkspaceId,
            ScriptPath = path,
            IsFlow = isFlow,
            ArgsJson = args.ToJsonString(),
            // Linked by failed_job_id rather than listed under the trigger, whose jobs are one per message.
            TriggerKind = "error_handler",
            FailedJobId = job.Id,
            CreatedAt = clock.GetUtcNow(),
        };
        await store.EnqueueAsync([handler]);
        return handler.Id;
    }

    /// <summary>The workspace's <c>script/{path}</c> or <c>flow/{path}</c> handler, if it has one.</summary>
    private async Task<(string? Path, bool IsFlow, JsonElement? ExtraArgs)> WorkspaceHandlerAsync(string workspaceId)
    {
        var workspace = await GrainFactory.GetGrain<IWorkspaceGrain>(workspaceId).GetAsync();
        if (workspace?.ErrorHandler is not { } handler) return (null, false, null);
        var slash = handler.IndexOf('/');
        return (handler[(slash + 1)..], handler[..slash] == "flow", workspace.ErrorHandlerExtraArgs);
    }
}
