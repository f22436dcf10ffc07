namespace Triggers.Definitions;

/// <summary>
/// Persisted state holder: Orleans starts a grain with a freshly constructed state object, so "does not exist"
/// has to be a null inside it rather than a null state.
/// </summary>
[GenerateSerializer, Alias("Triggers.StoredItem`1")]
public sealed class StoredItem<T>
{
    [Id(0)] public T? Item { get; set; }
}
