using Triggers.Resources;
using Triggers.Security;
using Triggers.Triggers.Kafka;
using Triggers.Validation;
using Triggers.Workspaces;

namespace Triggers.Definitions;

public sealed class ResourceGrain(
    [PersistentState("resource", StorageNames.Definitions)] IPersistentState<StoredItem<Resource>> state,
    SecretProtector secrets,
    Microsoft.Extensions.Options.IOptions<KerberosOptions> kerberos,
    TimeProvider clock) : WorkspaceItemGrain<Resource>(state, ItemKinds.Resource), IResourceGrain
{
    protected override string KindName => "resource";

    public async Task<Resource> CreateAsync(Resource resource)
    {
        RejectCiphertexts(resource);
        Validate(resource);
        var now = clock.GetUtcNow();
        var created = Protected(resource) with { Path = ItemPath, CreatedAt = now, UpdatedAt = now };
        await SaveNewAsync(created);
        return created;
    }

    public async Task<Resource> UpdateAsync(Resource resource)
    {
        var existing = Existing;
        RejectCiphertexts(resource);
        if (resource.ResourceType == KafkaConnection.ResourceType && existing.ResourceType == KafkaConnection.ResourceType)
            resource = resource with { Value = KafkaConnection.KeepStoredSecrets(resource.Value, existing.Value) };
        Validate(resource);
        var updated = Protected(resource) with { Path = ItemPath, CreatedAt = existing.CreatedAt, UpdatedAt = clock.GetUtcNow() };
        await SaveAsync(updated);
        return updated;
    }

    public Task<Resource?> GetAsync() => Task.FromResult(Found());

    public Task DeleteAsync() => RemoveAsync();

    public async Task<bool> ResealAsync()
    {
        if (Found() is not { } resource) return false;
        await SaveAsync(Protected(resource)); // decrypts with whichever key sealed it, seals with the current one
        return true;
    }

    /// <summary>Secrets are stored encrypted, sealed to this resource; only the silos that use them decrypt them.</summary>
    private Resource Protected(Resource resource) =>
        resource.ResourceType == KafkaConnection.ResourceType ? resource with { Value = secrets.ProtectKafkaSecrets(resource.Value, WorkspaceId, ItemPath) } : resource;

    private static void RejectCiphertexts(Resource resource)
    {
        if (resource.ResourceType == KafkaConnection.ResourceType) KafkaConnection.RejectCiphertexts(resource.Value);
    }

    private void Validate(Resource resource)
    {
        if (string.IsNullOrWhiteSpace(resource.ResourceType))
            throw new InvalidInputException("resource_type", "resource_type is required, e.g. \"kafka\".");
        if (resource.ResourceType == KafkaConnection.ResourceType)
            KeytabLocation.Check(KafkaConnection.Parse(resource.Value), kerberos.Value.KeytabDirectory);
    }
}
