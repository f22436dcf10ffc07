using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime;
using Triggers.Definitions;
using Triggers.Extensions;
using Triggers.Flows;
using Triggers.Jobs;
using Triggers.Kafka;
using Triggers.Placement;
using Triggers.Resources;
using Triggers.Scripts;
using Triggers.Security;
using Triggers.Telemetry;
using Triggers.Validation;
using Triggers.Workspaces;

namespace Triggers.KafkaTriggers;

/// <summary>
/// One trigger: its persisted configuration and its consumer. Orleans' single activation means one consumer
/// per trigger in the cluster; the reminder brings the grain (and so the consumer) back wherever it is needed
/// after a deactivation or the loss of its silo.
/// </summary>
[CollectionAgeLimit(AlwaysActive = true)]
[RoundRobinPlacement] // spreads consumers evenly over the silos, bursts included
public sealed class KafkaTriggerGrain(
    [PersistentState("trigger", StorageNames.Definitions)] IPersistentState<StoredItem<KafkaTrigger>> state,
    IJobStore jobs,
    TriggerMetrics metrics,
    SecretProtector secrets,
    IOptions<KafkaListenerOptions> listenerOptions,
    ILocalSiloDetails silo,
    ILoggerFactory loggers,
    ILogger<KafkaTriggerGrain> logger,
    TimeProvider clock)
    : WorkspaceItemGrain<KafkaTrigger>(state, ItemKind.KafkaTrigger), IKafkaTriggerGrain, IRemindable
{
    private const string KeepListening = "keep-listening";
    private static readonly TimeSpan ReminderPeriod = TimeSpan.FromMinutes(1);

    private KafkaTriggerListener? _listener;
    private KafkaTriggerStatus? _startFailure;

    protected override string KindName => "kafka trigger";

    public override async Task OnActivateAsync(CancellationToken cancellationToken) => await ApplyModeAsync();

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken) => await StopListenerAsync();

    public async Task<KafkaTriggerView> CreateAsync(KafkaTrigger trigger)
    {
        var checkedTrigger = await ValidateAsync(trigger);
        await SaveNewAsync(checkedTrigger);
        await ApplyModeAsync();
        return View();
    }

    public async Task<KafkaTriggerView> UpdateAsync(KafkaTrigger trigger)
    {
        _ = Existing;
        var checkedTrigger = await ValidateAsync(trigger);
        await StopListenerAsync(); // a changed group, topic or resource needs a new consumer
        await SaveAsync(checkedTrigger);
        await ApplyModeAsync();
        return View();
    }

    public async Task DeleteAsync()
    {
        _ = Existing;
        await StopListenerAsync();
        await UnregisterReminderAsync();
        await RemoveAsync();
    }

    public async Task<KafkaTriggerView> SetModeAsync(TriggerMode mode)
    {
        var trigger = Existing;
        await StopListenerAsync();
        await SaveAsync(trigger with { Mode = mode });
        // Enabling a suspended trigger lets the workers take the jobs it held back while suspended.
        if (trigger.Mode == TriggerMode.Suspended && mode == TriggerMode.Enabled) await jobs.ReleaseHeldAsync(WorkspaceId, ItemPath);
        await ApplyModeAsync();
        return View();
    }

    public async Task<KafkaTriggerView> ResetOffsetsAsync(AutoOffsetReset? to)
    {
        var trigger = Existing;
        var settings = await ResolveAsync(trigger);
        await StopListenerAsync(); // the group's offsets can only be moved while its consumer is away
        try
        {
            // The reset is a consumer's blocking work: keep it off the grain's scheduler.
            var moved = await Task.Run(() => KafkaOffsets.Reset(settings, to ?? trigger.AutoOffsetReset, listenerOptions.Value));
            logger.LogInformation("Kafka trigger {Trigger}: offsets reset to {Offsets}", ItemPath, string.Join(", ", moved));
        }
        finally
        {
            await ApplyModeAsync();
        }
        return View();
    }

    public Task<KafkaTriggerView?> GetAsync() => Task.FromResult(Current is null ? null : View());

    public Task EnsureListeningAsync() => ApplyModeAsync();

    public Task ReceiveReminder(string reminderName, TickStatus status) => ApplyModeAsync();

    private KafkaTriggerView View() => new()
    {
        Trigger = Existing,
        ServerId = _listener is null ? null : silo.SiloAddress.ToString(),
        LastServerPing = _listener?.LastPoll,
        Status = _listener?.Status ?? _startFailure ?? new KafkaTriggerStatus { State = ListenerState.Stopped },
    };

    /// <summary>Makes the consumer and the reminder match the stored mode.</summary>
    private async Task ApplyModeAsync()
    {
        if (Current is not { Mode: TriggerMode.Enabled or TriggerMode.Suspended } trigger)
        {
            await StopListenerAsync();
            if (Current is not null) await UnregisterReminderAsync();
            return;
        }
        await this.RegisterOrUpdateReminder(KeepListening, ReminderPeriod, ReminderPeriod);
        if (_listener is not null) return;
        try
        {
            var settings = await ResolveAsync(trigger);
            _listener = new KafkaTriggerListener(settings, listenerOptions.Value, jobs, metrics, loggers.CreateLogger<KafkaTriggerListener>(), clock);
            _listener.Start();
            _startFailure = null;
        }
        catch (Exception e) when (e is NotFoundException or InvalidInputException)
        {
            // e.g. its resource was deleted since: report it and try again on the next reminder tick.
            _startFailure = new KafkaTriggerStatus { State = ListenerState.Error, Error = e.Message, ErrorAt = clock.GetUtcNow() };
        }
    }

    private async Task<TriggerListenerSettings> ResolveAsync(KafkaTrigger trigger)
    {
        var connection = await ResolveConnectionAsync(trigger.KafkaResourcePath);
        return new TriggerListenerSettings(WorkspaceId, ItemPath, trigger.ScriptPath, trigger.IsFlow,
            trigger.GroupId!, trigger.Topics, connection, trigger.AutoOffsetReset, trigger.Filters, trigger.Mode == TriggerMode.Suspended);
    }

    private async Task<KafkaConnection> ResolveConnectionAsync(string resourcePath)
    {
        var resource = await ClusterCalls.RetryAsync(() => GrainFactory.GetGrain<IResourceGrain>(Names.ItemKey(WorkspaceId, resourcePath)).GetAsync())
            ?? throw new NotFoundException($"kafka_resource_path: no resource at '{resourcePath}'; create it first with POST /api/w/{WorkspaceId}/resources/create.");
        if (resource.ResourceType != KafkaConnection.ResourceType)
            throw new InvalidInputException("kafka_resource_path", $"The resource at '{resourcePath}' is of type '{resource.ResourceType}', not 'kafka'.");
        return secrets.RevealKafkaConnection(resource.Value);
    }

    private async Task<KafkaTrigger> ValidateAsync(KafkaTrigger trigger)
    {
        Names.RequirePath(trigger.ScriptPath, "script_path");
        Names.RequirePath(trigger.KafkaResourcePath, "kafka_resource_path");
        if (trigger.Topics is null || trigger.Topics.Count == 0)
            throw new InvalidInputException("topics", "List at least one topic to listen to.");
        foreach (var topic in trigger.Topics) Names.RequireTopic(topic);
        var groupId = string.IsNullOrEmpty(trigger.GroupId) ? KafkaTrigger.DefaultGroupId(WorkspaceId, ItemPath) : trigger.GroupId;
        Names.RequireGroupId(groupId);
        trigger.Retry?.Validate();
        foreach (var filter in trigger.Filters ?? [])
            if (string.IsNullOrEmpty(filter.Key)) throw new InvalidInputException("filters", "Every filter needs a key: {\"key\": \"type\", \"value\": \"order\"}.");
        if (trigger.DeadLetterTopic is { } deadLetters)
        {
            Names.RequireTopic(deadLetters, "dead_letter_topic");
            if (deadLetters.StartsWith('^') || trigger.Topics.Contains(deadLetters))
                throw new InvalidInputException("dead_letter_topic", "The dead-letter topic must be a plain topic name other than the ones the trigger listens to.");
        }
        if (trigger.ErrorHandlerPath is { } handler)
        {
            Names.RequirePath(handler, "error_handler_path");
            if (await GrainFactory.GetGrain<IScriptGrain>(Names.ItemKey(WorkspaceId, handler)).GetAsync() is null)
                throw new InvalidInputException("error_handler_path", $"No script at '{handler}' to handle errors; create it first.");
        }

        try { await ResolveConnectionAsync(trigger.KafkaResourcePath); }
        catch (NotFoundException e) { throw new InvalidInputException("kafka_resource_path", e.Message); }
        var runnableExists = trigger.IsFlow
            ? await GrainFactory.GetGrain<IFlowGrain>(Names.ItemKey(WorkspaceId, trigger.ScriptPath)).GetAsync() is not null
            : await GrainFactory.GetGrain<IScriptGrain>(Names.ItemKey(WorkspaceId, trigger.ScriptPath)).GetAsync() is not null;
        if (!runnableExists)
            throw new InvalidInputException("script_path", trigger.IsFlow
                ? $"No flow at '{trigger.ScriptPath}'; create it first with POST /api/w/{WorkspaceId}/flows/create (or set is_flow to false for a script)."
                : $"No script at '{trigger.ScriptPath}'; create it first with POST /api/w/{WorkspaceId}/scripts/create.");

        return trigger with { Path = ItemPath, GroupId = groupId, Topics = trigger.Topics.Distinct().ToList() };
    }

    private async Task StopListenerAsync()
    {
        if (_listener is null) return;
        var listener = _listener;
        _listener = null;
        await listener.DisposeAsync();
    }

    private async Task UnregisterReminderAsync()
    {
        if (await this.GetReminder(KeepListening) is { } reminder) await this.UnregisterReminder(reminder);
    }
}
