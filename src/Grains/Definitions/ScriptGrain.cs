using Triggers.Jobs.Execution;
using Triggers.Jobs.Store;
using Triggers.Runtimes;
using Triggers.Runtimes.Dependencies;
using Triggers.Scripts;
using Triggers.Validation;
using Triggers.Workspaces;

namespace Triggers.Definitions;

public sealed class ScriptGrain(
    [PersistentState("script", StorageNames.Definitions)] IPersistentState<StoredItem<Script>> state,
    DependencySets dependencies,
    IJobStore jobs,
    TimeProvider clock) : WorkspaceItemGrain<Script>(state, ItemKinds.Script), IScriptGrain
{
    protected override string KindName => "script";

    public async Task<Script> CreateAsync(Script script)
    {
        if (string.IsNullOrWhiteSpace(script.Content))
            throw new InvalidInputException("content", "content is required: the script's source code.");
        Limits.RequireContentSize(script.Content, "content");
        if (script.DedicatedWorker && script.Language == ScriptLanguage.Bash)
            throw new InvalidInputException("dedicated_worker", "Dedicated workers run Bun and Python scripts; a bash script starts a process per job.");
        ScriptSignature signature;
        try { signature = ScriptAnalyzer.Analyze(script.Language, script.Content); }
        catch (ArgumentException e) { throw new InvalidInputException("content", e.Message); }
        // The workspace scripts it imports must exist, and their packages are locked with its own.
        var (modules, missing) = await Runnables.ImportsAsync(GrainFactory, WorkspaceId, script with { Path = ItemPath }, CancellationToken.None);
        if (missing is not null) throw new InvalidInputException("content", $"{missing.Message} Create it first.");
        IReadOnlyList<string> requirements;
        try { requirements = dependencies.Requirements(script.Language, [script.Content, .. modules?.Values ?? []]); }
        catch (ArgumentException e) { throw new InvalidInputException("content", e.Message); }
        var created = script with
        {
            Path = ItemPath, Signature = signature, CreatedAt = clock.GetUtcNow(), Requirements = requirements, Lock = null, LockErrorLogs = null,
        };
        await SaveNewAsync(created);
        // Resolving may take a while (a registry, downloads): a job of its own does it, never the API call.
        if (requirements.Count > 0) await jobs.EnqueueAsync([DependencyJobs.For(WorkspaceId, created, clock.GetUtcNow())]);
        return created;
    }

    public Task<Script?> GetAsync() => Task.FromResult(Found());

    public Task DeleteAsync() => RemoveAsync();

    public async Task SetLockAsync(string contentHash, string? lockText, string? errorLogs)
    {
        if (Current is not { } script || script.ContentHash != contentHash) return; // resolved for content it no longer has
        await SaveAsync(script with { Lock = lockText, LockErrorLogs = lockText is null ? errorLogs : null });
    }
}
