namespace Triggers.Triggers.Kafka;

/// <summary>
/// Which trigger a Kafka consumer group belongs to (key: the group id), across all workspaces: two triggers in one
/// group would split its partitions between them, each silently missing the other's messages.
/// </summary>
[Alias("Triggers.IConsumerGroupGrain")]
public interface IConsumerGroupGrain : IGrainWithStringKey
{
    /// <summary>Makes <paramref name="trigger"/> (its item key, <c>{workspace}/{path}</c>) the group's owner; a
    /// conflict when another trigger owns it.</summary>
    Task ClaimAsync(string trigger);

    /// <summary>Frees the group, if <paramref name="trigger"/> owns it.</summary>
    Task ReleaseAsync(string trigger);
}
