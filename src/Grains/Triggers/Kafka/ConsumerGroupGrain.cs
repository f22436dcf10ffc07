using Triggers.Definitions;
using Triggers.Validation;

namespace Triggers.Triggers.Kafka;

/// <summary>A consumer group's owner, persisted with the definitions.</summary>
public sealed class ConsumerGroupGrain(
    [PersistentState("consumer-group", StorageNames.Definitions)] IPersistentState<StoredItem<string>> owner) : Grain, IConsumerGroupGrain
{
    public async Task ClaimAsync(string trigger)
    {
        if (owner.State.Item == trigger) return;
        // An owner that no longer exists (its creation failed after the claim) does not hold the group.
        if (owner.State.Item is { } other && await GrainFactory.GetGrain<IKafkaTriggerGrain>(other).GetAsync() is not null)
        {
            // Another workspace's trigger is not named: its path is none of this workspace's business.
            var sameWorkspace = Names.SplitItemKey(other).WorkspaceId == Names.SplitItemKey(trigger).WorkspaceId;
            throw new ConflictException(
                $"The consumer group '{this.GetPrimaryKeyString()}' is already used by {(sameWorkspace ? $"trigger '{Names.SplitItemKey(other).Path}'" : "a trigger of another workspace")}; " +
                "two triggers in one group would split its partitions. Choose another group_id, or leave it out for the trigger's own.");
        }
        owner.State.Item = trigger;
        await owner.WriteStateAsync();
    }

    public async Task ReleaseAsync(string trigger)
    {
        if (owner.State.Item != trigger) return;
        await owner.ClearStateAsync();
        DeactivateOnIdle();
    }
}
