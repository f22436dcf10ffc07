using System.Text.Json;

namespace Triggers.Resources;

/// <summary>A named, typed piece of configuration (for now: Kafka connections) that triggers refer to by path.</summary>
[GenerateSerializer, Alias("Triggers.Resource")]
public sealed record Resource
{
    [Id(0)] public string Path { get; init; } = "";
    [Id(1)] public string ResourceType { get; init; } = "";
    [Id(2)] public JsonElement Value { get; init; }
    [Id(3)] public string? Description { get; init; }
    [Id(4)] public DateTimeOffset CreatedAt { get; init; }
    [Id(5)] public DateTimeOffset UpdatedAt { get; init; }
}

[Alias("Triggers.IResourceGrain")]
public interface IResourceGrain : IGrainWithStringKey
{
    Task<Resource> CreateAsync(Resource resource);
    Task<Resource> UpdateAsync(Resource resource);
    /// <summary>The stored resource, secrets included: callers that show it must redact it.</summary>
    Task<Resource?> GetAsync();
    Task DeleteAsync();

    /// <summary>Encrypts the stored secrets again with the current key (after a key rotation); false when there is nothing
    /// stored here.</summary>
    Task<bool> ResealAsync();
}
