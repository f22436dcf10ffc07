using Orleans.Runtime;
using Triggers.Definitions;
using Triggers.Flows;
using Triggers.Jobs;
using Triggers.Jobs.Store;
using Triggers.Scripts;
using Triggers.Validation;
using Triggers.Workspaces;

namespace Triggers.Triggers;

/// <summary>
/// The lifecycle every listening trigger shares: its persisted settings, its mode, a reminder that brings it back
/// wherever it is needed after a deactivation or the loss of its silo, and one listener while it is enabled or
/// suspended. Orleans' single activation means one listener per trigger in the cluster. A kind adds its own
/// settings' checks and says how to start its listener.
/// </summary>
/// <remarks>A concrete grain carries <c>[CollectionAgeLimit(AlwaysActive = true)]</c>, so an idle trigger keeps listening.</remarks>
public abstract class TriggerGrain<TTrigger, TStatus>(
    IPersistentState<StoredItem<TTrigger>> state, string kind, IJobStore jobs, ILocalSiloDetails silo, TimeProvider clock)
    : WorkspaceItemGrain<TTrigger>(state, ItemKinds.Trigger(kind)), ITriggerGrain<TTrigger, TStatus>, IRemindable
    where TTrigger : class, ITriggerSettings
    where TStatus : class, ITriggerStatus
{
    private const string KeepListening = "keep-listening";
    private static readonly TimeSpan ReminderPeriod = TimeSpan.FromMinutes(1);

    private ITriggerListener<TStatus>? _listener;
    private TStatus? _startFailure;
    // The reminder is written once per activation: the resume passes that wake every trigger when a silo leaves would
    // otherwise rewrite every trigger's reminder, while the reminder service itself moves with the leaving silo.
    private bool _reminderRegistered;

    protected IJobStore Jobs => jobs;

    protected TimeProvider Clock => clock;

    /// <summary>The running listener, if the trigger is listening on this activation.</summary>
    protected ITriggerListener<TStatus>? Listener => _listener;

    public override async Task OnActivateAsync(CancellationToken cancellationToken) => await ApplyModeAsync();

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken) => await StopListenerAsync();

    public async Task<TriggerView<TTrigger, TStatus>> CreateAsync(TTrigger trigger)
    {
        var checkedTrigger = await ValidateAsync(trigger);
        await SaveNewAsync(checkedTrigger);
        await ApplyModeAsync();
        return View();
    }

    public async Task<TriggerView<TTrigger, TStatus>> UpdateAsync(TTrigger trigger, bool keepMode)
    {
        // An update that does not say how the trigger listens leaves that as it is (a disabled trigger stays off).
        var existing = Existing;
        if (keepMode) trigger = WithMode(trigger, existing.Mode);
        var checkedTrigger = await ValidateAsync(trigger);
        await StopListenerAsync(); // changed settings need a new listener
        await SaveAsync(checkedTrigger);
        await ApplyModeAsync();
        return View();
    }

    public async Task<TriggerView<TTrigger, TStatus>> RenameAsync(TTrigger trigger, bool keepMode)
    {
        var existing = Existing;
        Names.RequirePath(trigger.Path, "path");
        if (keepMode) trigger = WithMode(trigger, existing.Mode);
        trigger = KeepIdentity(existing, trigger);
        var target = GrainFactory.GetGrain(GrainId.Create(this.GetGrainId().Type, Names.ItemKey(WorkspaceId, trigger.Path)))
            .AsReference<ITriggerGrain<TTrigger, TStatus>>();
        if (await target.GetAsync() is not null)
            throw new ConflictException($"A {KindName} already exists at '{trigger.Path}'; delete it or choose another path.");

        // The consumer stops (committing what it stored) and lets go of what the new trigger takes over, which then
        // starts where this one stopped. If the new one cannot be created (a setting is wrong), this one resumes.
        await StopListenerAsync();
        await OnDeletedAsync(existing);
        TriggerView<TTrigger, TStatus> moved;
        try { moved = await target.CreateAsync(trigger); }
        catch
        {
            await OnRestoredAsync(existing);
            await ApplyModeAsync();
            throw;
        }
        await jobs.MoveTriggerJobsAsync(WorkspaceId, ItemPath, trigger.Path); // its retries, error handler and held jobs follow it
        await UnregisterReminderAsync();
        await RemoveAsync();
        return moved;
    }

    public async Task DeleteAsync()
    {
        var trigger = Existing;
        await StopListenerAsync();
        await UnregisterReminderAsync();
        await OnDeletedAsync(trigger);
        await RemoveAsync();
    }

    public async Task<TriggerView<TTrigger, TStatus>> SetModeAsync(TriggerMode mode)
    {
        var trigger = Existing;
        await StopListenerAsync();
        await SaveAsync(WithMode(trigger, mode));
        // Enabling a suspended trigger lets the workers take the jobs it held back while suspended.
        if (trigger.Mode == TriggerMode.Suspended && mode == TriggerMode.Enabled) await jobs.ReleaseHeldAsync(WorkspaceId, ItemPath);
        await ApplyModeAsync();
        return View();
    }

    public Task<TriggerView<TTrigger, TStatus>?> GetAsync() => Task.FromResult(Found() is null ? null : View());

    public async Task<int> ReleaseHeldJobsAsync(IReadOnlyList<Guid>? jobIds)
    {
        _ = Existing;
        return await jobs.ReleaseHeldAsync(WorkspaceId, ItemPath, jobIds);
    }

    public async Task<IReadOnlyList<Guid>> RedriveAsync(IReadOnlyList<Guid>? jobIds, DateTimeOffset? since)
    {
        _ = Existing;
        return await jobs.RedriveAsync(WorkspaceId, ItemPath, jobIds, since);
    }

    public async Task<int> CancelHeldJobsAsync(IReadOnlyList<Guid>? jobIds)
    {
        _ = Existing;
        return await jobs.CancelHeldAsync(WorkspaceId, ItemPath, jobIds,
            new Jobs.JobError("Canceled", $"Canceled while held by suspended trigger '{ItemPath}'; it never ran."));
    }

    public Task EnsureListeningAsync() => ApplyModeAsync();

    public async Task ReconnectAsync()
    {
        await StopListenerAsync();
        await ApplyModeAsync(); // starts it again only if the mode says so; a start that failed for want of the resource is retried
    }

    public Task ReceiveReminder(string reminderName, TickStatus status) => ApplyModeAsync();

    public Task<TriggerFailurePolicy?> GetFailurePolicyAsync() =>
        Task.FromResult(Current is { } trigger ? TriggerFailurePolicy.Of(trigger) : null);

    /// <summary>Nothing beyond retries and the error handler, unless the kind has its own action (a dead-letter topic).</summary>
    public virtual Task OnJobFailedAsync(FailedTriggerJob failed) => Task.CompletedTask;

    /// <summary>Cleans up what the kind keeps outside the trigger's state, once its listener has stopped for good.</summary>
    protected virtual Task OnDeletedAsync(TTrigger trigger) => Task.CompletedTask;

    /// <summary>Takes back what <see cref="OnDeletedAsync"/> let go of, when a rename fails and the trigger stays.</summary>
    protected virtual Task OnRestoredAsync(TTrigger trigger) => Task.CompletedTask;

    /// <summary>What a renamed trigger keeps of the old one when its new settings leave it out (Kafka: its consumer
    /// group, so that it goes on from the group's offsets).</summary>
    protected virtual TTrigger KeepIdentity(TTrigger existing, TTrigger renamed) => renamed;

    /// <summary>Checks the kind's own settings and returns the trigger as it is stored (its path set, defaults filled in).</summary>
    /// <exception cref="InvalidInputException">A setting is wrong; the exception names the field.</exception>
    protected abstract Task<TTrigger> ValidateKindAsync(TTrigger trigger);

    protected abstract TTrigger WithMode(TTrigger trigger, TriggerMode mode);

    /// <summary>Starts listening with the stored settings. A missing or invalid dependency (its resource deleted since)
    /// throws <see cref="NotFoundException"/> or <see cref="InvalidInputException"/>: the status reports it, and the
    /// next reminder tick tries again.</summary>
    protected abstract Task<ITriggerListener<TStatus>> StartListenerAsync(TTrigger trigger);

    /// <summary>The status of a trigger whose listener is not running.</summary>
    protected abstract TStatus IdleStatus(ListenerState state, string? error = null, DateTimeOffset? errorAt = null);

    /// <summary>Does <paramref name="work"/> with the listener stopped (e.g. moving a consumer group's offsets), then resumes.</summary>
    protected async Task<TriggerView<TTrigger, TStatus>> WhileStoppedAsync(Func<Task> work)
    {
        await StopListenerAsync();
        try { await work(); }
        finally { await ApplyModeAsync(); }
        return View();
    }

    private TriggerView<TTrigger, TStatus> View() => new()
    {
        Trigger = Existing,
        ServerId = _listener is null ? null : silo.SiloAddress.ToString(),
        LastServerPing = _listener?.LastPoll,
        Status = _listener?.Status ?? _startFailure ?? IdleStatus(ListenerState.Stopped),
        EditedAt = EditedAt,
        EditedBy = EditedBy,
    };

    /// <summary>Makes the listener and the reminder match the stored mode.</summary>
    private async Task ApplyModeAsync()
    {
        if (Current is not { Mode: TriggerMode.Enabled or TriggerMode.Suspended } trigger)
        {
            await StopListenerAsync();
            if (Current is not null) await UnregisterReminderAsync();
            return;
        }
        if (!_reminderRegistered)
        {
            await this.RegisterOrUpdateReminder(KeepListening, ReminderPeriod, ReminderPeriod);
            _reminderRegistered = true;
        }
        if (_listener is not null) return;
        try
        {
            _listener = await StartListenerAsync(trigger);
            _startFailure = null;
        }
        catch (Exception e) when (e is NotFoundException or InvalidInputException)
        {
            _startFailure = IdleStatus(ListenerState.Error, e.Message, clock.GetUtcNow());
        }
    }

    /// <summary>The checks every kind shares, around the kind's own.</summary>
    private async Task<TTrigger> ValidateAsync(TTrigger trigger)
    {
        Names.RequirePath(trigger.ScriptPath, "script_path");
        var checkedTrigger = await ValidateKindAsync(trigger);
        trigger.Retry?.Validate();
        RetryConditions.Validate(trigger.Retry);
        Limits.RequireLabels(trigger.Labels);
        MessageFilter.Validate(trigger.Filters);
        if (trigger.ErrorHandlerArgs is { ValueKind: not (System.Text.Json.JsonValueKind.Object or System.Text.Json.JsonValueKind.Null or System.Text.Json.JsonValueKind.Undefined) })
            throw new InvalidInputException("error_handler_args", "error_handler_args must be an object of the handler's extra arguments, e.g. {\"channel\": \"#alerts\"}.");
        if (trigger.ErrorHandlerPath is { } handler)
        {
            Names.RequirePath(handler, "error_handler_path");
            if (await GrainFactory.GetGrain<IScriptGrain>(Names.ItemKey(WorkspaceId, handler)).GetAsync() is null)
                throw new InvalidInputException("error_handler_path", $"No script at '{handler}' to handle errors; create it first.");
        }
        var runnableExists = trigger.IsFlow
            ? await GrainFactory.GetGrain<IFlowGrain>(Names.ItemKey(WorkspaceId, trigger.ScriptPath)).GetAsync() is not null
            : await GrainFactory.GetGrain<IScriptGrain>(Names.ItemKey(WorkspaceId, trigger.ScriptPath)).GetAsync() is not null;
        if (!runnableExists)
            throw new InvalidInputException("script_path", trigger.IsFlow
                ? $"No flow at '{trigger.ScriptPath}'; create it first with POST /api/w/{WorkspaceId}/flows/create (or set is_flow to false for a script)."
                : $"No script at '{trigger.ScriptPath}'; create it first with POST /api/w/{WorkspaceId}/scripts/create.");
        return checkedTrigger;
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
        _reminderRegistered = false;
        if (await this.GetReminder(KeepListening) is { } reminder) await this.UnregisterReminder(reminder);
    }
}
