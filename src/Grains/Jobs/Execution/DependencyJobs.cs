using System.Text.Json;
using System.Text.Json.Nodes;
using Triggers.Runtimes;
using Triggers.Runtimes.Dependencies;
using Triggers.Scripts;
using Triggers.Validation;

namespace Triggers.Jobs.Execution;

/// <summary>
/// Runs a script's <c>dependencies</c> job: resolves what the script needs against the registry into a lock and
/// stores it with the script (or the resolver's error), off the API's path, with the package manager's output as
/// the job's logs. A job for content the script no longer has changes nothing.
/// </summary>
public sealed class DependencyJobs(DependencySets dependencies, IGrainFactory grains, TimeProvider clock)
{
    /// <summary>The dependencies job of one version of a script: the same id however often it is queued.</summary>
    public static JobRecord For(string workspaceId, Script script, DateTimeOffset now) => new()
    {
        Id = JobIds.FromName($"dependencies\n{workspaceId}\n{script.Path}\n{script.ContentHash}"),
        WorkspaceId = workspaceId,
        ScriptPath = script.Path,
        Kind = JobRecord.DependenciesKind,
        ArgsJson = new JsonObject { ["content_hash"] = script.ContentHash, ["requirements"] = new JsonArray([.. script.Requirements.Select(r => JsonValue.Create(r))]) }.ToJsonString(),
        CreatedAt = now,
    };

    public async Task<JobOutcome> RunAsync(JobRecord job, TimeSpan timeout, CancellationToken ct)
    {
        var started = clock.GetUtcNow();
        var grain = grains.GetGrain<IScriptGrain>(Names.ItemKey(job.WorkspaceId, job.ScriptPath));
        var script = await Runnables.ScriptAsync(grains, job.WorkspaceId, job.ScriptPath, ct);
        var contentHash = JsonNode.Parse(job.ArgsJson ?? "{}")?["content_hash"]?.GetValue<string>();
        if (script is null || script.ContentHash != contentHash)
            return Succeeded(new JsonObject { ["superseded"] = true }, "The script was changed or deleted since this job was queued; nothing to resolve.", started);

        var resolution = await dependencies.ResolveAsync(job.WorkspaceId, script.Language, script.Requirements, timeout, ct);
        await grain.SetLockAsync(script.ContentHash, resolution.Lock, resolution.Succeeded ? null : resolution.Logs);
        return resolution.Succeeded
            ? Succeeded(new JsonObject { ["lock"] = resolution.Lock }, resolution.Logs, started)
            : JobOutcomes.Failed(new JobError("DependencyResolutionFailed",
                $"Could not resolve {string.Join(", ", script.Requirements)}. Last lines:\n{JobFailures.LastLines(resolution.Logs)}"), started, clock.GetUtcNow(), resolution.Logs);
    }

    private JobOutcome Succeeded(JsonObject result, string logs, DateTimeOffset started) => new()
    {
        Succeeded = true, Result = JsonSerializer.SerializeToElement(result), Logs = logs, StartedAt = started, CompletedAt = clock.GetUtcNow(),
    };
}
