using Triggers.Scripts;

namespace Triggers.Definitions;

/// <summary>A script version as it was saved; read by hash long after newer versions replaced it.</summary>
public sealed class ScriptVersionGrain(
    [PersistentState("script-version", StorageNames.Definitions)] IPersistentState<StoredItem<Script>> state) : Grain, IScriptVersionGrain
{
    public async Task SaveAsync(Script version)
    {
        state.State.Item = version;
        await state.WriteStateAsync();
    }

    public Task<Script?> GetAsync()
    {
        if (state.State.Item is null) DeactivateOnIdle(); // lookups of unknown hashes leave nothing behind
        return Task.FromResult(state.State.Item);
    }

    public async Task DeleteAsync()
    {
        await state.ClearStateAsync();
        DeactivateOnIdle();
    }
}
