using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Triggers.Definitions;
using Triggers.Triggers.Kafka;
using Triggers.Validation;

namespace Triggers.Captures;

/// <summary>What a workspace's captures keep: configurations and the last payloads of each runnable.</summary>
[GenerateSerializer, Alias("Triggers.CaptureState")]
public sealed class CaptureState
{
    [Id(0)] public List<StoredCaptureConfig> Configs { get; set; } = [];
    [Id(1)] public List<StoredCapture> Captures { get; set; } = [];
    [Id(2)] public long NextId { get; set; } = 1;
}

[GenerateSerializer, Alias("Triggers.StoredCaptureConfig")]
public sealed record StoredCaptureConfig(
    [property: Id(0)] string Path, [property: Id(1)] bool IsFlow, [property: Id(2)] string TriggerKind, [property: Id(3)] JsonElement? TriggerConfig);

[GenerateSerializer, Alias("Triggers.StoredCapture")]
public sealed record StoredCapture([property: Id(0)] string Path, [property: Id(1)] bool IsFlow, [property: Id(2)] Capture Capture);

/// <summary>
/// A workspace's captures. A configuration listens only while an editor pings it (within <see cref="PingWindow"/>),
/// so an editor that closes stops it; the last <see cref="KeepPerRunnable"/> payloads of each runnable are kept.
/// Listeners run on their own threads in this activation, which a timer keeps alive while any listens.
/// </summary>
public sealed class CaptureGrain(
    [PersistentState("captures", StorageNames.Definitions)] IPersistentState<CaptureState> state,
    KafkaConnections connections,
    IOptions<KafkaListenerOptions> listenerOptions,
    ILogger<CaptureGrain> logger,
    TimeProvider clock) : Grain, ICaptureGrain
{
    public static readonly TimeSpan PingWindow = TimeSpan.FromSeconds(10);
    public const int KeepPerRunnable = 20;

    private sealed class Listening(Guid session, IDisposable listener)
    {
        public Guid Session { get; } = session;
        public IDisposable Listener { get; } = listener;
        public DateTimeOffset LastClientPing { get; set; }
        public DateTimeOffset? LastServerPing { get; set; }
        public string? Error { get; set; } = "Connecting...";
    }

    private readonly Dictionary<(string Path, bool IsFlow, string Kind), Listening> _listening = [];
    private readonly Dictionary<(string Path, bool IsFlow, string Kind), string> _startErrors = [];
    private IGrainTimer? _watch;

    private string WorkspaceId => this.GetPrimaryKeyString();

    public async Task<JsonElement?> SetConfigAsync(string triggerKind, string path, bool isFlow, JsonElement? triggerConfig)
    {
        Names.RequirePath(path);
        if (triggerKind != KafkaTrigger.Kind)
            throw new InvalidInputException("trigger_kind", $"Captures here take \"kafka\" payloads; \"{triggerKind}\" is not a trigger kind of this service.");
        if (triggerConfig is { ValueKind: not (JsonValueKind.Object or JsonValueKind.Null) })
            throw new InvalidInputException("trigger_config", "trigger_config must be an object, e.g. {\"kafka_resource_path\": \"u/me/kafka\", \"topics\": [\"orders\"]}.");
        var config = triggerConfig is { ValueKind: JsonValueKind.Object } c ? c : (JsonElement?)null;
        if (config is { } kafka) await KafkaSettingsAsync(path, isFlow, kafka); // checked now, not when it first listens
        state.State.Configs.RemoveAll(s => s.Path == path && s.IsFlow == isFlow && s.TriggerKind == triggerKind);
        state.State.Configs.Add(new StoredCaptureConfig(path, isFlow, triggerKind, config));
        await state.WriteStateAsync();
        StopListening((path, isFlow, triggerKind)); // a changed configuration listens anew at the next ping
        return config;
    }

    public async Task PingAsync(string triggerKind, string path, bool isFlow)
    {
        var key = (path, isFlow, triggerKind);
        if (_listening.TryGetValue(key, out var listening))
        {
            listening.LastClientPing = clock.GetUtcNow();
            return;
        }
        if (Config(key)?.TriggerConfig is not { } config) return; // nothing configured: nothing to listen to (as Windmill)
        try
        {
            var settings = await KafkaSettingsAsync(path, isFlow, config);
            var grain = this.AsReference<ICaptureGrain>();
            var session = Guid.NewGuid();
            Listening? started = null;
            started = new Listening(session, new KafkaCaptureListener(settings, listenerOptions.Value,
                (mainArgs, preprocessorArgs) => grain.AddAsync(session, triggerKind, path, isFlow, mainArgs, preprocessorArgs).GetAwaiter().GetResult(),
                error => { if (started is not null) (started.Error, started.LastServerPing) = (error, clock.GetUtcNow()); },
                logger)) { LastClientPing = clock.GetUtcNow() };
            _listening[key] = started;
            _startErrors.Remove(key);
            _watch ??= this.RegisterGrainTimer(WatchAsync, new GrainTimerCreationOptions(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1)) { KeepAlive = true });
        }
        catch (Exception e) when (e is InvalidInputException or NotFoundException)
        {
            _startErrors[key] = e.Message; // the resource was deleted or changed since the configuration was saved
        }
    }

    public Task<IReadOnlyList<CaptureConfig>> GetConfigsAsync(string path, bool isFlow) => Task.FromResult<IReadOnlyList<CaptureConfig>>(
        state.State.Configs.Where(c => c.Path == path && c.IsFlow == isFlow).Select(c =>
        {
            var key = (c.Path, c.IsFlow, c.TriggerKind);
            _listening.TryGetValue(key, out var listening);
            return new CaptureConfig(c.TriggerKind, c.TriggerConfig, listening?.Error ?? _startErrors.GetValueOrDefault(key), listening?.LastServerPing);
        }).ToList());

    public Task<IReadOnlyList<Capture>> ListAsync(string path, bool isFlow, string? triggerKind) => Task.FromResult<IReadOnlyList<Capture>>(
        state.State.Captures.Where(c => c.Path == path && c.IsFlow == isFlow && (triggerKind is null || c.Capture.TriggerKind == triggerKind))
            .Select(c => c.Capture).OrderByDescending(c => c.Id).ToList());

    public Task<Capture?> GetAsync(long id) => Task.FromResult(state.State.Captures.FirstOrDefault(c => c.Capture.Id == id)?.Capture);

    public async Task DeleteAsync(long id)
    {
        if (state.State.Captures.RemoveAll(c => c.Capture.Id == id) == 0) throw new NotFoundException($"No capture {id} in workspace '{WorkspaceId}'.");
        await state.WriteStateAsync();
    }

    public async Task AddAsync(Guid session, string triggerKind, string path, bool isFlow, string mainArgsJson, string preprocessorArgsJson)
    {
        // A stopped session's consumer may still hand over what it read while it was closing: that is not captured.
        if (!_listening.TryGetValue((path, isFlow, triggerKind), out var listening) || listening.Session != session) return;
        var capture = new Capture(state.State.NextId++, clock.GetUtcNow(), triggerKind,
            JsonDocument.Parse(mainArgsJson).RootElement.Clone(), JsonDocument.Parse(preprocessorArgsJson).RootElement.Clone());
        state.State.Captures.Add(new StoredCapture(path, isFlow, capture));
        var ofRunnable = state.State.Captures.Where(c => c.Path == path && c.IsFlow == isFlow).ToList();
        foreach (var old in ofRunnable.OrderBy(c => c.Capture.Id).Take(Math.Max(0, ofRunnable.Count - KeepPerRunnable)))
            state.State.Captures.Remove(old);
        listening.LastServerPing = capture.CreatedAt;
        await state.WriteStateAsync();
    }

    /// <summary>Stops the listeners no editor pinged within the window; the timer goes once none listens.</summary>
    private Task WatchAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        foreach (var (key, listening) in _listening.ToList())
        {
            if (now - listening.LastClientPing > PingWindow) StopListening(key);
            else if (listening.Error is null) listening.LastServerPing = now;
        }
        if (_listening.Count == 0)
        {
            _watch?.Dispose();
            _watch = null;
        }
        return Task.CompletedTask;
    }

    private void StopListening((string, bool, string) key)
    {
        if (!_listening.Remove(key, out var listening)) return;
        // Its thread may be handing over a payload, which waits for this activation: let it finish off the scheduler.
        _ = Task.Run(listening.Listener.Dispose);
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken ct)
    {
        foreach (var key in _listening.Keys.ToList()) StopListening(key);
        return Task.CompletedTask;
    }

    private StoredCaptureConfig? Config((string Path, bool IsFlow, string Kind) key) =>
        state.State.Configs.FirstOrDefault(c => c.Path == key.Path && c.IsFlow == key.IsFlow && c.TriggerKind == key.Kind);

    /// <summary>A Kafka capture's consumer settings: the resource and topics from its configuration, a group of its own.</summary>
    private async Task<KafkaListenerSettings> KafkaSettingsAsync(string path, bool isFlow, JsonElement config)
    {
        var resource = config.TryGetProperty("kafka_resource_path", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString()! : null;
        Names.RequirePath(resource, "trigger_config.kafka_resource_path");
        var topics = config.TryGetProperty("topics", out var t) && t.ValueKind == JsonValueKind.Array
            ? t.EnumerateArray().Select(topic => topic.ValueKind == JsonValueKind.String ? topic.GetString()! : "").ToList()
            : [];
        if (topics.Count == 0) throw new InvalidInputException("trigger_config.topics", "List the topics to capture from, e.g. \"topics\": [\"orders\"].");
        foreach (var topic in topics) Names.RequireTopic(topic, "trigger_config.topics");
        var connection = await connections.ResolveAsync(WorkspaceId, resource!, "trigger_config.kafka_resource_path");
        var group = $"capture-{WorkspaceId}-{(isFlow ? "flow" : "script")}-{path.Replace("/", "__")}";
        return new KafkaListenerSettings(WorkspaceId, path, path, isFlow, group, topics, connection, AutoOffsetReset.Latest);
    }
}
