namespace Triggers.Definitions;

/// <summary>A script or flow version as it was saved; read long after newer versions replaced it.</summary>
public sealed class VersionGrain<T>(
    [PersistentState("version", StorageNames.Definitions)] IPersistentState<StoredItem<T>> state) : Grain, Scripts.IVersionGrain<T> where T : class
{
    public async Task SaveAsync(T version)
    {
        state.State.Item = version;
        await state.WriteStateAsync();
    }

    public Task<T?> GetAsync()
    {
        if (state.State.Item is null) DeactivateOnIdle(); // lookups of unknown versions leave nothing behind
        return Task.FromResult(state.State.Item);
    }

    public async Task DeleteAsync()
    {
        await state.ClearStateAsync();
        DeactivateOnIdle();
    }
}
