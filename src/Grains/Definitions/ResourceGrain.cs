using Triggers.Resources;
using Triggers.Validation;
using Triggers.Workspaces;

namespace Triggers.Definitions;

public sealed class ResourceGrain(
    [PersistentState("resource", StorageNames.Definitions)] IPersistentState<StoredItem<Resource>> state,
    TimeProvider clock) : WorkspaceItemGrain<Resource>(state, ItemKind.Resource), IResourceGrain
{
    protected override string KindName => "resource";

    public async Task<Resource> CreateAsync(Resource resource)
    {
        Validate(resource);
        var now = clock.GetUtcNow();
        var created = resource with { Path = ItemPath, CreatedAt = now, UpdatedAt = now };
        await SaveNewAsync(created);
        return created;
    }

    public async Task<Resource> UpdateAsync(Resource resource)
    {
        var existing = Existing;
        Validate(resource);
        var updated = resource with { Path = ItemPath, CreatedAt = existing.CreatedAt, UpdatedAt = clock.GetUtcNow() };
        await SaveAsync(updated);
        return updated;
    }

    public Task<Resource?> GetAsync() => Task.FromResult(Current);

    public Task DeleteAsync() => RemoveAsync();

    private static void Validate(Resource resource)
    {
        if (string.IsNullOrWhiteSpace(resource.ResourceType))
            throw new InvalidInputException("resource_type", "resource_type is required, e.g. \"kafka\".");
        if (resource.ResourceType == KafkaConnection.ResourceType) KafkaConnection.Parse(resource.Value);
    }
}
