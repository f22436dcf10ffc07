using System.Text.Json;
using Triggers.Validation;
using Triggers.Workspaces;

namespace Triggers.Definitions;

public sealed class WorkspaceGrain(
    [PersistentState("workspace", StorageNames.Definitions)] IPersistentState<StoredItem<Workspace>> state,
    TimeProvider clock) : Grain, IWorkspaceGrain
{
    public async Task<Workspace> CreateAsync(string name)
    {
        if (state.State.Item is not null) throw new ConflictException($"Workspace '{this.GetPrimaryKeyString()}' already exists.");
        state.State.Item = new Workspace { Id = this.GetPrimaryKeyString(), Name = string.IsNullOrWhiteSpace(name) ? this.GetPrimaryKeyString() : name, CreatedAt = clock.GetUtcNow() };
        await state.WriteStateAsync();
        await GrainFactory.GetGrain<IWorkspaceDirectoryGrain>(0).AddAsync(state.State.Item.Id);
        return state.State.Item;
    }

    public Task<Workspace?> GetAsync() => Task.FromResult(state.State.Item);

    public async Task<Workspace> SetErrorHandlerAsync(string? errorHandler, JsonElement? extraArgs)
    {
        var workspace = state.State.Item ?? throw new NotFoundException($"Workspace '{this.GetPrimaryKeyString()}' does not exist.");
        if (errorHandler is not null)
        {
            var (kind, path) = errorHandler.IndexOf('/') is var slash and > 0 ? (errorHandler[..slash], errorHandler[(slash + 1)..]) : ("", "");
            if (kind is not ("script" or "flow"))
                throw new InvalidInputException("error_handler", $"'{errorHandler}' is not a runnable: use 'script/<path>' or 'flow/<path>'.");
            Names.RequirePath(path, "error_handler");
        }
        state.State.Item = workspace with { ErrorHandler = errorHandler, ErrorHandlerExtraArgs = extraArgs };
        await state.WriteStateAsync();
        return state.State.Item;
    }
}

public sealed class WorkspaceDirectoryGrain(
    [PersistentState("workspaces", StorageNames.Definitions)] IPersistentState<HashSet<string>> state) : Grain, IWorkspaceDirectoryGrain
{
    public async Task AddAsync(string workspaceId)
    {
        if (state.State.Add(workspaceId)) await state.WriteStateAsync();
    }

    public Task<IReadOnlyList<string>> ListAsync() => Task.FromResult<IReadOnlyList<string>>(state.State.Order().ToList());
}

public sealed class WorkspaceIndexGrain(
    // Keyed by ItemKinds names, so a new trigger kind needs no change here.
    [PersistentState("items", StorageNames.Definitions)] IPersistentState<Dictionary<string, HashSet<string>>> state) : Grain, IWorkspaceIndexGrain
{
    public async Task AddAsync(string kind, string path)
    {
        if (!state.State.TryGetValue(kind, out var paths)) state.State[kind] = paths = [];
        if (paths.Add(path)) await state.WriteStateAsync();
    }

    public async Task RemoveAsync(string kind, string path)
    {
        if (state.State.TryGetValue(kind, out var paths) && paths.Remove(path)) await state.WriteStateAsync();
    }

    public Task<IReadOnlyList<string>> ListAsync(string kind) =>
        Task.FromResult<IReadOnlyList<string>>(state.State.TryGetValue(kind, out var paths) ? paths.Order(StringComparer.Ordinal).ToList() : []);
}
