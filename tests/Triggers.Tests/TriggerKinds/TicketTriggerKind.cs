using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;
using Triggers.Definitions;
using Triggers.Jobs;
using Triggers.Jobs.Store;
using Triggers.Telemetry;
using Triggers.Triggers;

namespace Triggers.Tests.TriggerKinds;

// A minimal trigger kind that lives only in the test project: its events are "tickets" the tests drop into an
// in-process queue. It exists to show that a kind written outside src/ gets retries, its error handler, its own
// failure action and resume at startup and after silo loss from the framework alone (Jobs/ does not know it).

/// <summary>The kind's settings: the common ones plus the name of the queue it reads.</summary>
[GenerateSerializer, Alias("Triggers.Tests.TicketTrigger")]
public sealed record TicketTrigger : ITriggerSettings
{
    public const string Kind = "ticket";

    [Id(0)] public string Path { get; init; } = "";
    [Id(1)] public string ScriptPath { get; init; } = "";
    [Id(2)] public bool IsFlow { get; init; }
    [Id(3)] public TriggerMode Mode { get; init; } = TriggerMode.Enabled;
    [Id(4)] public string? ErrorHandlerPath { get; init; }
    [Id(5)] public JsonElement? ErrorHandlerArgs { get; init; }
    [Id(6)] public RetryPolicy? Retry { get; init; }
    [Id(7)] public IReadOnlyList<TriggerFilter>? Filters { get; init; }
    [Id(8)] public string Queue { get; init; } = "";
}

[GenerateSerializer, Alias("Triggers.Tests.TicketTriggerStatus")]
public sealed record TicketTriggerStatus : ITriggerStatus
{
    [Id(0)] public ListenerState State { get; init; }
    [Id(1)] public string? Error { get; init; }
    [Id(2)] public long TicketsRead { get; init; }
}

[Alias("Triggers.Tests.ITicketTriggerGrain")]
public interface ITicketTriggerGrain : ITriggerGrain<TicketTrigger, TicketTriggerStatus>;

/// <summary>The registration: the one line a silo adds is <c>services.AddTriggerKind&lt;TicketTriggerKind&gt;()</c>.</summary>
public sealed class TicketTriggerKind() : TriggerKind<ITicketTriggerGrain>(TicketTrigger.Kind)
{
    public override JsonObject MainArguments(JsonObject triggerEvent) => new() { ["ticket"] = triggerEvent["ticket"]?.DeepClone() };
}

/// <summary>The in-process "broker": named queues of tickets, and what the kind's failure action saw.</summary>
public static class TicketQueues
{
    private static readonly ConcurrentDictionary<string, ConcurrentQueue<string>> Queues = new();

    public static ConcurrentQueue<string> Named(string name) => Queues.GetOrAdd(name, _ => new());

    /// <summary>Job ids the kind's failure action was called for.</summary>
    public static ConcurrentBag<Guid> FailedJobs { get; } = [];
}

[CollectionAgeLimit(AlwaysActive = true)]
public sealed class TicketTriggerGrain(
    [PersistentState("trigger", StorageNames.Definitions)] IPersistentState<StoredItem<TicketTrigger>> state,
    IJobStore jobs,
    TriggerMetrics metrics,
    ILocalSiloDetails silo,
    ILogger<TicketTriggerGrain> logger,
    TimeProvider clock)
    : TriggerGrain<TicketTrigger, TicketTriggerStatus>(state, TicketTrigger.Kind, jobs, silo, clock), ITicketTriggerGrain
{
    protected override string KindName => "ticket trigger";

    protected override Task<TicketTrigger> ValidateKindAsync(TicketTrigger trigger) =>
        Task.FromResult(trigger with { Path = ItemPath });

    protected override TicketTrigger WithMode(TicketTrigger trigger, TriggerMode mode) => trigger with { Mode = mode };

    protected override Task<ITriggerListener<TicketTriggerStatus>> StartListenerAsync(TicketTrigger trigger) =>
        Task.FromResult<ITriggerListener<TicketTriggerStatus>>(new TicketListener(WorkspaceId, trigger, Jobs, metrics, logger, Clock));

    protected override TicketTriggerStatus IdleStatus(ListenerState state, string? error = null, DateTimeOffset? errorAt = null) =>
        new() { State = state, Error = error };

    public override Task OnJobFailedAsync(FailedTriggerJob failed)
    {
        TicketQueues.FailedJobs.Add(failed.JobId);
        return Task.CompletedTask;
    }
}

/// <summary>Reads tickets and queues one job each through the framework's at-least-once writer.</summary>
internal sealed class TicketListener : ITriggerListener<TicketTriggerStatus>
{
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _loop;
    private long _read;
    private long _lastPoll;

    public TicketListener(string workspaceId, TicketTrigger trigger, IJobStore jobs, TriggerMetrics metrics, ILogger logger, TimeProvider clock)
    {
        var writer = new JobBatchWriter<long>(jobs, new Backoff(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1)), metrics,
            $"{workspaceId}/{trigger.Path}", _ => { }, logger, _stopping.Token);
        var queue = TicketQueues.Named(trigger.Queue);
        _loop = Task.Run(async () =>
        {
            while (!_stopping.IsCancellationRequested)
            {
                Interlocked.Exchange(ref _lastPoll, clock.GetUtcNow().UtcTicks);
                if (!queue.TryDequeue(out var ticket))
                {
                    await Task.Delay(20).ConfigureAwait(false);
                    continue;
                }
                var now = clock.GetUtcNow();
                var job = new JobRecord
                {
                    Id = JobIds.FromName($"ticket\n{workspaceId}\n{trigger.Path}\n{ticket}"),
                    WorkspaceId = workspaceId,
                    ScriptPath = trigger.ScriptPath,
                    IsFlow = trigger.IsFlow,
                    EventJson = new JsonObject { ["kind"] = TicketTrigger.Kind, ["ticket"] = ticket }.ToJsonString(),
                    TriggerKind = TicketTrigger.Kind,
                    TriggerPath = trigger.Path,
                    CreatedAt = now,
                };
                writer.Write(new JobBatch<long>([new NewJob(job, 1)], [], Interlocked.Increment(ref _read), 1, 0, 0, now), _ => { });
                writer.Settle(_ => { });
            }
        });
    }

    public TicketTriggerStatus Status => new() { State = ListenerState.Listening, TicketsRead = Interlocked.Read(ref _read) };

    public DateTimeOffset? LastPoll => new DateTimeOffset(Interlocked.Read(ref _lastPoll), TimeSpan.Zero);

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        await _loop;
        _stopping.Dispose();
    }
}
