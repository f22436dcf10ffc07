using System.Text.Json.Nodes;
using Triggers.Extensions;
using Triggers.Runtimes;
using Triggers.Scripts;
using Triggers.Validation;

namespace Triggers.Jobs.Execution;

/// <summary>Looks up what a job runs at the moment it runs, and says so clearly when it is gone.</summary>
internal static class Runnables
{
    public static Task<Script?> ScriptAsync(IGrainFactory grains, string workspaceId, string path, CancellationToken ct = default) =>
        ClusterCalls.RetryAsync(() => grains.GetGrain<IScriptGrain>(Names.ItemKey(workspaceId, path)).GetAsync(), ct);

    public static JobError ScriptNotFound(string detail) => new("ScriptNotFound", detail);

    /// <summary>Why a script cannot run yet (its dependencies are being resolved, or resolving them failed); null when it can.</summary>
    public static JobError? DependenciesNotReady(Script script) => script.DependenciesReady ? null : new("DependenciesNotReady",
        script.LockErrorLogs is { } logs
            ? $"Resolving the dependencies of '{script.Path}' failed; fix its imports or pins and save it again. Last lines:\n{JobFailures.LastLines(logs)}"
            : $"The dependencies of '{script.Path}' ({string.Join(", ", script.Requirements)}) are still being resolved by its dependencies job; its jobs run once they are ready.");

    /// <summary>One run of a stored script: its source, signature, warm process (if dedicated) and dependency set.</summary>
    public static ScriptRun Run(string workspaceId, Script script, JsonObject args, JsonObject? triggerEvent, TimeSpan timeout) =>
        new(script.Language, script.Content, script.Signature!, args, triggerEvent, timeout, DedicatedKey(workspaceId, script), script.Lock);

    /// <summary>The warm process a script marked <c>dedicated_worker</c> runs in; null for a process per job.</summary>
    public static string? DedicatedKey(string workspaceId, Script script) =>
        script.DedicatedWorker ? DedicatedWorkers.Key(workspaceId, script.Path, script) : null;

    /// <summary>
    /// How long a worker's claim on a job lasts beyond the run's own time limit: long enough that only a vanished
    /// worker loses its jobs, never a slow one.
    /// </summary>
    public static TimeSpan Lease(TimeSpan runTimeout) => runTimeout + TimeSpan.FromSeconds(60);
}
