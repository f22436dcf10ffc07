using Triggers.Tokens;
using Triggers.Validation;
using Triggers.Workspaces;

namespace Triggers.Definitions;

/// <summary>
/// What every workspace item grain (key <c>{workspace}/{path}</c>) shares: one persisted definition, listed in
/// its workspace's index while it exists.
/// </summary>
public abstract class WorkspaceItemGrain<T>(IPersistentState<StoredItem<T>> state, string kind) : Grain where T : class
{
    protected string WorkspaceId => Names.SplitItemKey(this.GetPrimaryKeyString()).WorkspaceId;
    protected string ItemPath => Names.SplitItemKey(this.GetPrimaryKeyString()).Path;
    protected T? Current => state.State.Item;
    /// <summary>See <see cref="StoredItem{T}.Generation"/>.</summary>
    protected long Generation => state.State.Generation;
    protected DateTimeOffset EditedAt => state.State.EditedAt;
    protected string? EditedBy => state.State.EditedBy;

    protected abstract string KindName { get; }

    /// <summary>The stored item; a 404 when there is none, and then the activation goes away (lookups of paths that
    /// hold nothing must not leave activations behind, however many there are).</summary>
    protected T Existing => state.State.Item ?? throw Missing();

    /// <summary>The stored item, or null; when null, the activation goes away as for <see cref="Existing"/>.</summary>
    protected T? Found()
    {
        if (state.State.Item is null) DeactivateOnIdle();
        return state.State.Item;
    }

    private NotFoundException Missing()
    {
        DeactivateOnIdle();
        return new NotFoundException($"No {KindName} at '{ItemPath}' in workspace '{WorkspaceId}'.");
    }

    protected async Task SaveNewAsync(T item)
    {
        if (state.State.Item is not null) throw new ConflictException($"A {KindName} already exists at '{ItemPath}'; update or delete it instead.");
        await RequireWorkspaceAsync();
        state.State.Item = item;
        state.State.Generation = NextGeneration();
        Edited();
        await state.WriteStateAsync();
        await Index.AddAsync(kind, ItemPath);
    }

    protected async Task SaveAsync(T item)
    {
        state.State.Item = item;
        Edited();
        await state.WriteStateAsync();
    }

    /// <summary>Advances the item's <see cref="Generation"/>: what it did before no longer counts as done.</summary>
    protected async Task StartOverAsync()
    {
        state.State.Generation = NextGeneration();
        await state.WriteStateAsync();
    }

    private void Edited() => (state.State.EditedAt, state.State.EditedBy) = (DateTimeOffset.UtcNow, Editors.Current);

    private long NextGeneration() => Math.Max(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), state.State.Generation + 1);

    protected async Task RemoveAsync()
    {
        _ = Existing;
        await state.ClearStateAsync();
        await Index.RemoveAsync(kind, ItemPath);
        DeactivateOnIdle();
    }

    private IWorkspaceIndexGrain Index => GrainFactory.GetGrain<IWorkspaceIndexGrain>(WorkspaceId);

    private async Task RequireWorkspaceAsync()
    {
        if (await GrainFactory.GetGrain<IWorkspaceGrain>(WorkspaceId).GetAsync() is null)
            throw new NotFoundException($"Workspace '{WorkspaceId}' does not exist; create it with POST /api/workspaces/create.");
    }
}
