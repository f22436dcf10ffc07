using Triggers.Runtimes;
using Triggers.Scripts;
using Triggers.Validation;
using Triggers.Workspaces;

namespace Triggers.Definitions;

public sealed class ScriptGrain(
    [PersistentState("script", StorageNames.Definitions)] IPersistentState<StoredItem<Script>> state,
    TimeProvider clock) : WorkspaceItemGrain<Script>(state, ItemKinds.Script), IScriptGrain
{
    protected override string KindName => "script";

    public async Task<Script> CreateAsync(Script script)
    {
        if (string.IsNullOrWhiteSpace(script.Content))
            throw new InvalidInputException("content", "content is required: the script's source code.");
        if (script.DedicatedWorker && script.Language == ScriptLanguage.Bash)
            throw new InvalidInputException("dedicated_worker", "Dedicated workers run Bun and Python scripts; a bash script starts a process per job.");
        ScriptSignature signature;
        try { signature = ScriptAnalyzer.Analyze(script.Language, script.Content); }
        catch (ArgumentException e) { throw new InvalidInputException("content", e.Message); }
        var created = script with { Path = ItemPath, Signature = signature, CreatedAt = clock.GetUtcNow() };
        await SaveNewAsync(created);
        return created;
    }

    public Task<Script?> GetAsync() => Task.FromResult(Current);

    public Task DeleteAsync() => RemoveAsync();
}
