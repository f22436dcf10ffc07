using Orleans;
using Orleans.Runtime;

namespace Triggers.Tests.Storage;

/// <summary>A test-only grain exercising the ADO.NET grain storage and reminder table.</summary>
public interface ISchemaProbeGrain : IGrainWithStringKey
{
    Task<SchemaProbeSnapshot> Read();
    Task<string?> Write(string value);
    Task Clear();
    Task Deactivate();
    Task RegisterReminder(string name, TimeSpan dueTime, TimeSpan period);
    Task<List<string>> ListReminders();
    Task<bool> HasReminder(string name);
    Task UnregisterReminder(string name);
    Task<int> ReminderTicks();
}

[GenerateSerializer]
public sealed class SchemaProbeState
{
    [Id(0)] public string? Value { get; set; }
    [Id(1)] public int Writes { get; set; }
}

/// <summary>What an activation saw when it loaded its state.</summary>
[GenerateSerializer]
public sealed record SchemaProbeSnapshot(
    [property: Id(0)] string? Value,
    [property: Id(1)] int Writes,
    [property: Id(2)] string? ETag,
    [property: Id(3)] bool RecordExists,
    [property: Id(4)] Guid ActivationId);

public sealed class SchemaProbeGrain(
    [PersistentState("probe", "Default")] IPersistentState<SchemaProbeState> state) : Grain, ISchemaProbeGrain, IRemindable
{
    private readonly Guid _activationId = Guid.NewGuid();
    private int _ticks;

    public Task<SchemaProbeSnapshot> Read() =>
        Task.FromResult(new SchemaProbeSnapshot(state.State.Value, state.State.Writes, state.Etag, state.RecordExists, _activationId));

    public async Task<string?> Write(string value)
    {
        state.State.Value = value;
        state.State.Writes++;
        await state.WriteStateAsync();
        return state.Etag;
    }

    public Task Clear() => state.ClearStateAsync();

    public Task Deactivate()
    {
        DeactivateOnIdle();
        return Task.CompletedTask;
    }

    public Task RegisterReminder(string name, TimeSpan dueTime, TimeSpan period) =>
        this.RegisterOrUpdateReminder(name, dueTime, period);

    public async Task<List<string>> ListReminders() =>
        (await this.GetReminders()).Select(r => r.ReminderName).Order().ToList();

    public async Task<bool> HasReminder(string name) => await this.GetReminder(name) is not null;

    public async Task UnregisterReminder(string name)
    {
        var reminder = await this.GetReminder(name) ?? throw new InvalidOperationException($"No reminder {name}.");
        await this.UnregisterReminder(reminder);
    }

    public Task<int> ReminderTicks() => Task.FromResult(_ticks);

    public Task ReceiveReminder(string reminderName, Orleans.Runtime.TickStatus status)
    {
        _ticks++;
        return Task.CompletedTask;
    }
}
