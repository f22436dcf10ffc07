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
        var parents = NewVersionOf(Current, script.ParentHashes.FirstOrDefault());
        var now = clock.GetUtcNow();
        var created = script with
        {
            Path = ItemPath, Signature = signature, CreatedAt = now, Requirements = requirements, Lock = null, LockErrorLogs = null,
            Hash = VersionHash(parents.FirstOrDefault(), script, now), ParentHashes = parents,
        };
        await Version(created.Hash).SaveAsync(created);
        if (Current is null) await SaveNewAsync(created);
        else await SaveAsync(created); // triggers and jobs pick the new version up at their next run

        // Resolving may take a while (a registry, downloads): a job of its own does it, never the API call.
        if (requirements.Count > 0) await jobs.EnqueueAsync([DependencyJobs.For(WorkspaceId, created, clock.GetUtcNow())]);
        return created;
    }

    public Task<Script?> GetAsync() => Task.FromResult(Found());

    /// <summary>Deletes the script with every version of it.</summary>
    public async Task DeleteAsync()
    {
        var script = Existing;
        foreach (var hash in script.ParentHashes.Prepend(script.Hash).Where(h => h.Length > 0)) await Version(hash).DeleteAsync();
        await RemoveAsync();
    }

    public async Task SetLockAsync(string contentHash, string? lockText, string? errorLogs)
    {
        if (Current is not { } script || script.ContentHash != contentHash) return; // resolved for content it no longer has
        var locked = script with { Lock = lockText, LockErrorLogs = lockText is null ? errorLogs : null };
        await SaveAsync(locked);
        if (locked.Hash.Length > 0) await Version(locked.Hash).SaveAsync(locked);
    }

    /// <summary>
    /// The versions a new one follows, newest first. Saving over an existing script must name its latest version as the
    /// parent: a save based on an older one would silently undo whatever was saved in between.
    /// </summary>
    private IReadOnlyList<string> NewVersionOf(Script? latest, string? parentHash)
    {
        if (latest is null || latest.Hash.Length == 0) return []; // none yet, or saved before scripts had versions
        if (string.IsNullOrEmpty(parentHash))
            throw new ConflictException(
                $"A script already exists at '{ItemPath}' (latest version {latest.Hash}); to save a new version, give \"parent_hash\": \"{latest.Hash}\", or delete it first.");
        if (parentHash != latest.Hash)
            throw new ConflictException(
                $"parent_hash {parentHash} is not the latest version of '{ItemPath}' ({latest.Hash}): it was saved again since. Start from the latest version.");
        return [latest.Hash, .. latest.ParentHashes];
    }

    /// <summary>16 hex digits, as Windmill shows a script hash: unique per version even when the content repeats.</summary>
    private string VersionHash(string? parent, Script script, DateTimeOffset savedAt) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(
        System.Text.Encoding.UTF8.GetBytes($"{WorkspaceId}\n{ItemPath}\n{parent}\n{savedAt.UtcTicks}\n{script.Language}\n{script.Content}")))[..16];

    private IVersionGrain<Script> Version(string hash) => GrainFactory.GetGrain<IVersionGrain<Script>>(VersionKeys.Script(WorkspaceId, hash));
}
