using System.Text.RegularExpressions;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime;
using Triggers.Definitions;
using Triggers.Jobs.Store;
using Triggers.Placement;
using Triggers.Telemetry;
using Triggers.Validation;

namespace Triggers.Triggers.Kafka;

/// <summary>
/// One Kafka trigger: its settings and its consumer (<see cref="KafkaTriggerListener"/>), which owns one member of
/// the trigger's consumer group.
/// </summary>
[CollectionAgeLimit(AlwaysActive = true)]
[RoundRobinPlacement] // spreads consumers evenly over the silos, bursts included
public sealed class KafkaTriggerGrain(
    [PersistentState("trigger", StorageNames.Definitions)] IPersistentState<StoredItem<KafkaTrigger>> state,
    IJobStore jobs,
    KafkaConnections connections,
    DeadLetterProducer deadLetters,
    TriggerMetrics metrics,
    IOptions<KafkaListenerOptions> listenerOptions,
    ILocalSiloDetails silo,
    ILoggerFactory loggers,
    ILogger<KafkaTriggerGrain> logger,
    TimeProvider clock)
    : TriggerGrain<KafkaTrigger, KafkaTriggerStatus>(state, KafkaTrigger.Kind, jobs, silo, clock), IKafkaTriggerGrain
{
    protected override string KindName => "kafka trigger";

    public async Task<TriggerView<KafkaTrigger, KafkaTriggerStatus>> ResetOffsetsAsync(AutoOffsetReset? to)
    {
        var trigger = Existing;
        var settings = await ResolveAsync(trigger);
        // The group's offsets can only be moved while its consumer is away.
        return await WhileStoppedAsync(async () =>
        {
            // The reset is a consumer's blocking work: keep it off the grain's scheduler.
            var moved = await Task.Run(() => KafkaOffsets.Reset(settings, to ?? trigger.AutoOffsetReset, listenerOptions.Value));
            await Jobs.ForgetPositionsAsync(settings.SourceKey); // else messages before them would still count as stored
            await StartOverAsync(); // and messages read again become new jobs rather than finding their old ones
            logger.LogInformation("Kafka trigger {Trigger}: offsets reset to {Offsets}", ItemPath, string.Join(", ", moved));
        });
    }

    public async Task CommitOffsetAsync(string topic, int partition, long offset)
    {
        var trigger = Existing;
        if (trigger.AutoCommit)
            throw new InvalidInputException("auto_commit",
                $"Trigger '{ItemPath}' commits its offsets itself (auto_commit is on); update it with \"auto_commit\": false to commit them from your scripts.");
        if (!trigger.Topics.Any(t => t == topic || IsPatternFor(t, topic)))
            throw new InvalidInputException("topic", $"Trigger '{ItemPath}' does not listen to topic '{topic}'; it listens to {string.Join(", ", trigger.Topics)}.");
        if (partition < 0) throw new InvalidInputException("partition", $"partition must be 0 or more; {partition} is not a partition.");
        if (offset < 0) throw new InvalidInputException("offset", $"offset must be 0 or more (the offset of the last message processed, as in its event); {offset} is not one.");

        var next = new TopicPartitionOffset(topic, partition, offset + 1);
        // The running consumer commits it between polls; a trigger that is not listening has no consumer, so one joins
        // the group for the commit alone (as reset_offsets does).
        if (Listener is KafkaTriggerListener listener) await listener.CommitAsync(next);
        else
        {
            var settings = await ResolveAsync(trigger);
            await Task.Run(() => KafkaOffsets.Commit(settings, [next], listenerOptions.Value));
        }
        logger.LogInformation("Kafka trigger {Trigger}: offset {Offset} committed on request", ItemPath, next);
    }

    /// <summary>Copies the failed job's message to the trigger's dead-letter topic, if it has one.</summary>
    public override async Task OnJobFailedAsync(FailedTriggerJob failed)
    {
        if (Current is not { DeadLetterTopic: { } topic } trigger) return;
        try
        {
            var connection = await connections.ResolveAsync(WorkspaceId, trigger.KafkaResourcePath);
            await deadLetters.ProduceAsync(connection, topic, ItemPath, failed);
        }
        catch (Exception e)
        {
            // The job's failure is recorded either way; the dead letter is a copy for operators.
            logger.LogWarning("Could not produce job {Job} to dead-letter topic {Topic}: {Error}", failed.JobId, topic, e.Message);
        }
    }

    protected override async Task<KafkaTrigger> ValidateKindAsync(KafkaTrigger trigger)
    {
        Names.RequirePath(trigger.KafkaResourcePath, "kafka_resource_path");
        if (trigger.Topics is null || trigger.Topics.Count == 0)
            throw new InvalidInputException("topics", "List at least one topic to listen to.");
        Limits.RequireCount(trigger.Topics.Count, Limits.MaxTopics, "topics", "topics");
        foreach (var topic in trigger.Topics) Names.RequireTopic(topic);
        var groupId = string.IsNullOrEmpty(trigger.GroupId) ? KafkaTrigger.DefaultGroupId(WorkspaceId, ItemPath) : trigger.GroupId;
        Names.RequireGroupId(groupId);
        if (trigger.DeadLetterTopic is { } deadLetterTopic)
        {
            Names.RequireTopic(deadLetterTopic, "dead_letter_topic");
            if (deadLetterTopic.StartsWith('^') || trigger.Topics.Contains(deadLetterTopic))
                throw new InvalidInputException("dead_letter_topic", "The dead-letter topic must be a plain topic name other than the ones the trigger listens to.");
            // A failed job's message produced where the trigger listens would come back as a message, fail again, and loop.
            if (trigger.Topics.FirstOrDefault(t => IsPatternFor(t, deadLetterTopic)) is { } pattern)
                throw new InvalidInputException("dead_letter_topic",
                    $"The dead-letter topic '{deadLetterTopic}' matches the pattern '{pattern}' the trigger listens to: failed messages would come back to it. Choose a name outside the pattern.");
        }
        if (trigger.BatchSize is < 1 or > KafkaTrigger.MaxBatchSize)
            throw new InvalidInputException("batch_size", $"A job takes 1 to {KafkaTrigger.MaxBatchSize:N0} messages; {trigger.BatchSize} is out of range.");
        if (trigger.BatchWindowMs is < 0 or > KafkaTrigger.MaxBatchWindowMs)
            throw new InvalidInputException("batch_window_ms", $"A batch waits 0 to {KafkaTrigger.MaxBatchWindowMs:N0} ms for more messages; {trigger.BatchWindowMs} is out of range.");
        if (trigger.Ordering == JobOrdering.Key && trigger.BatchSize > 1)
            throw new InvalidInputException("ordering", "ordering \"key\" needs one message per job; a batch mixes keys. Use \"partition\" with batch_size.");
        try { await connections.ResolveAsync(WorkspaceId, trigger.KafkaResourcePath); }
        catch (NotFoundException e) { throw new InvalidInputException("kafka_resource_path", e.Message); }
        await GroupGrain(groupId).ClaimAsync(this.GetPrimaryKeyString());
        if (Current?.GroupId is { } previous && previous != groupId) await GroupGrain(previous).ReleaseAsync(this.GetPrimaryKeyString());
        return trigger with { Path = ItemPath, GroupId = groupId, Topics = trigger.Topics.Distinct().ToList() };
    }

    /// <summary>Forgets how far the trigger got (a trigger created again at this path starts from its group's offsets),
    /// and frees its consumer group for other triggers.</summary>
    protected override async Task OnDeletedAsync(KafkaTrigger trigger)
    {
        await Jobs.ForgetPositionsAsync(KafkaListenerSettings.SourceKeyOf(WorkspaceId, ItemPath, trigger.GroupId!));
        // On the development broker, positions live under the broker's current life as well.
        try { await Jobs.ForgetPositionsAsync((await ResolveAsync(trigger)).SourceKey); }
        catch (Exception e) when (e is NotFoundException or InvalidInputException) { } // its resource is gone: nothing was stored under an epoch
        await GroupGrain(trigger.GroupId!).ReleaseAsync(this.GetPrimaryKeyString());
    }

    protected override Task OnRestoredAsync(KafkaTrigger trigger) => GroupGrain(trigger.GroupId!).ClaimAsync(this.GetPrimaryKeyString());

    protected override KafkaTrigger KeepIdentity(KafkaTrigger existing, KafkaTrigger renamed) =>
        string.IsNullOrEmpty(renamed.GroupId) ? renamed with { GroupId = existing.GroupId } : renamed;

    /// <summary>Whether a trigger's topic entry is a pattern (librdkafka's "^…" form) that <paramref name="topic"/> matches.</summary>
    private static bool IsPatternFor(string entry, string topic) =>
        entry.StartsWith('^') && Regex.IsMatch(topic, entry, RegexOptions.None, TimeSpan.FromSeconds(1));

    private IConsumerGroupGrain GroupGrain(string groupId) => GrainFactory.GetGrain<IConsumerGroupGrain>(groupId);

    protected override KafkaTrigger WithMode(KafkaTrigger trigger, TriggerMode mode) => trigger with { Mode = mode };

    protected override async Task<ITriggerListener<KafkaTriggerStatus>> StartListenerAsync(KafkaTrigger trigger)
    {
        var listener = new KafkaTriggerListener(await ResolveAsync(trigger), listenerOptions.Value, Jobs, metrics, loggers.CreateLogger<KafkaTriggerListener>(), Clock);
        listener.Start();
        return listener;
    }

    protected override KafkaTriggerStatus IdleStatus(ListenerState state, string? error = null, DateTimeOffset? errorAt = null) =>
        new() { State = state, Error = error, ErrorAt = errorAt };

    private async Task<KafkaListenerSettings> ResolveAsync(KafkaTrigger trigger)
    {
        var connection = await connections.ResolveAsync(WorkspaceId, trigger.KafkaResourcePath);
        return new(WorkspaceId, ItemPath, trigger.ScriptPath, trigger.IsFlow, trigger.GroupId!, trigger.Topics, connection,
            trigger.AutoOffsetReset, trigger.Filters, trigger.Mode == TriggerMode.Suspended,
            trigger.BatchSize, TimeSpan.FromMilliseconds(trigger.BatchWindowMs), Generation, trigger.FilterLogic, trigger.AutoCommit, trigger.Ordering,
            connections.BrokerEpochOf(connection));
    }
}
