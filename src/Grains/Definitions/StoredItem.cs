namespace Triggers.Definitions;

/// <summary>
/// Persisted state holder: Orleans starts a grain with a freshly constructed state object, so "does not exist"
/// has to be a null inside it rather than a null state.
/// </summary>
[GenerateSerializer, Alias("Triggers.StoredItem`1")]
public sealed class StoredItem<T>
{
    [Id(0)] public T? Item { get; set; }

    /// <summary>
    /// Which incarnation of the item this is: set when it is created and advanced when it starts over (a trigger whose
    /// offsets are reset). A millisecond clock reading, so an item deleted and created again at the same path never
    /// gets an earlier one back. 0 for items stored before generations existed.
    /// </summary>
    [Id(1)] public long Generation { get; set; }

    /// <summary>When the item was last created or changed, and by whom (Windmill's <c>edited_at</c>/<c>edited_by</c>).</summary>
    [Id(2)] public DateTimeOffset EditedAt { get; set; }
    [Id(3)] public string? EditedBy { get; set; }
}
