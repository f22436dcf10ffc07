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

    /// <summary>
    /// One run of a stored script: its source, signature, warm process (if dedicated), dependency set and the latest
    /// versions of the workspace scripts it imports; or why it cannot run now.
    /// </summary>
    /// <param name="variables">The job's contextual variables (<see cref="JobVariables"/>).</param>
    public static async Task<(ScriptRun? Run, JobError? Error)> PrepareAsync(IGrainFactory grains, string workspaceId, Script script,
        JsonObject args, JsonObject? triggerEvent, TimeSpan timeout, IReadOnlyDictionary<string, string> variables, CancellationToken ct)
    {
        if (DependenciesNotReady(script) is { } notReady) return (null, notReady);
        var (modules, missing) = await ImportsAsync(grains, workspaceId, script, ct);
        if (missing is not null) return (null, missing);
        var dedicatedKey = script.DedicatedWorker ? DedicatedWorkers.Key(workspaceId, script.Path, script, modules) : null;
        return (new ScriptRun(script.Language, script.Content, script.Signature!, args, triggerEvent, timeout, dedicatedKey, script.Lock) { Modules = modules, Variables = variables }, null);
    }

    /// <summary>Why a script cannot run yet (its dependencies are being resolved, or resolving them failed); null when it can.</summary>
    private static JobError? DependenciesNotReady(Script script) => script.DependenciesReady ? null : new("DependenciesNotReady",
        script.LockErrorLogs is { } logs
            ? $"Resolving the dependencies of '{script.Path}' failed; fix its imports or pins and save it again. Last lines:\n{JobFailures.LastLines(logs)}"
            : $"The dependencies of '{script.Path}' ({string.Join(", ", script.Requirements)}) are still being resolved by its dependencies job; its jobs run once they are ready.");

    /// <summary>The workspace scripts <paramref name="script"/> imports, directly or through each other, by path.</summary>
    public static async Task<(IReadOnlyDictionary<string, string>? Modules, JobError? Missing)> ImportsAsync(
        IGrainFactory grains, string workspaceId, Script script, CancellationToken ct)
    {
        const int MaxModules = 100;
        var modules = new Dictionary<string, string>();
        var pending = new Queue<(string From, string Path)>(WorkspaceImports.Of(script.Language, script.Content).Select(p => (script.Path, p)));
        while (pending.TryDequeue(out var import))
        {
            if (import.Path == script.Path || modules.ContainsKey(import.Path)) continue;
            if (modules.Count == MaxModules)
                return (null, new JobError("ImportNotFound", $"'{script.Path}' imports more than {MaxModules} workspace scripts."));
            var imported = await ScriptAsync(grains, workspaceId, import.Path, ct);
            if (imported is null || imported.Language != script.Language)
                return (null, new JobError("ImportNotFound", imported is null
                    ? $"'{import.From}' imports '{import.Path}', but workspace '{workspaceId}' has no script there."
                    : $"'{import.From}' imports '{import.Path}', a {imported.Language} script; a {script.Language} script imports only {script.Language} scripts."));
            modules[import.Path] = imported.Content;
            foreach (var next in WorkspaceImports.Of(imported.Language, imported.Content)) pending.Enqueue((import.Path, next));
        }
        return (modules.Count == 0 ? null : modules, null);
    }

    /// <summary>
    /// How long a worker's claim on a job lasts beyond the run's own time limit: long enough that only a vanished
    /// worker loses its jobs, never a slow one.
    /// </summary>
    public static TimeSpan Lease(TimeSpan runTimeout) => runTimeout + TimeSpan.FromSeconds(60);
}
