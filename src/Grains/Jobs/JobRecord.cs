using System.Text.Json;

namespace Triggers.Jobs;

/// <summary>
/// A job as the job store keeps it. JSON fields stay as text so the ingest path never parses what it
/// only passes through to the database.
/// </summary>
public sealed record JobRecord
{
    public Guid Id { get; init; }
    public string WorkspaceId { get; init; } = "";
    public string ScriptPath { get; init; } = "";
    public bool IsFlow { get; init; }
    /// <summary>main's arguments: those it was queued with, replaced by those it actually got once it ran.</summary>
    public string? ArgsJson { get; init; }
    /// <summary>The trigger event a preprocessor receives (null for direct runs).</summary>
    public string? EventJson { get; init; }
    public JobStatus Status { get; init; } = JobStatus.Queued;
    public string? ResultJson { get; init; }
    public string? Logs { get; init; }
    public JobError? Error { get; init; }
    public int Attempts { get; init; }
    public string? TriggerKind { get; init; }
    public string? TriggerPath { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? StartedAt { get; init; }
    public DateTimeOffset? CompletedAt { get; init; }
    public Guid? FlowJobId { get; init; }
    public Guid? ErrorHandlerJobId { get; init; }
    public Guid? FailedJobId { get; init; }
    public DateTimeOffset? ScheduledFor { get; init; }
    public IReadOnlyList<JobAttempt> AttemptHistory { get; init; } = [];
    public bool Held { get; init; }
    /// <summary>The worker running it, while it runs.</summary>
    public string? ClaimedBy { get; init; }
    /// <summary>How many runs started and ended without an outcome: the worker died, stopped or could not record it.</summary>
    public int LostRuns { get; init; }
    /// <summary>How many claims of it were lost with their worker, whether or not it had started under them.</summary>
    public int LostClaims { get; init; }
    /// <summary>Its place among its worker's claims, while claimed: slots take claims in this order.</summary>
    public long ClaimOrdinal { get; init; }
    /// <summary>Null for a run of <see cref="ScriptPath"/>; <see cref="DependenciesKind"/> for resolving its dependencies.</summary>
    public string? Kind { get; init; }
    /// <summary>The script version the last run ran (<see cref="Scripts.Script.Hash"/>); null before it ran.</summary>
    public string? ScriptHash { get; init; }
    /// <summary>Jobs with the same order key run one at a time, in queue order (a trigger's <c>ordering</c>); null: any time.</summary>
    public string? OrderKey { get; init; }

    /// <summary>The kind of job that resolves a script's dependencies into its lock (Windmill's <c>dependencies</c> job).</summary>
    public const string DependenciesKind = "dependencies";

    /// <summary>The kind of job that runs only a script's preprocessor on an event and answers main's arguments (a dry run).</summary>
    public const string PreprocessKind = "preprocess";

    public bool IsDependencies => Kind == DependenciesKind;
    public bool IsPreprocess => Kind == PreprocessKind;
    public bool IsErrorHandler => FailedJobId is not null;
    public bool IsFlowStep => FlowJobId is not null;

    /// <summary>The run a worker holds: valid while the job is running under it (see <see cref="JobClaim"/>).</summary>
    public JobClaim Claim => new(ClaimedBy ?? "", Attempts);

    public Job ToJob(bool includeLogs = true) => new()
    {
        Id = Id,
        WorkspaceId = WorkspaceId,
        ScriptPath = ScriptPath,
        IsFlow = IsFlow,
        Args = ParseOrNull(ArgsJson),
        Status = Status,
        Result = ParseOrNull(ResultJson),
        Logs = includeLogs ? Logs : null,
        Error = Error,
        Attempts = Attempts,
        TriggerKind = TriggerKind,
        TriggerPath = TriggerPath,
        CreatedAt = CreatedAt,
        StartedAt = StartedAt,
        CompletedAt = CompletedAt,
        DurationMs = StartedAt is { } start && CompletedAt is { } end ? (long)(end - start).TotalMilliseconds : null,
        FlowJobId = FlowJobId,
        ErrorHandlerJobId = ErrorHandlerJobId,
        FailedJobId = FailedJobId,
        ScheduledFor = ScheduledFor,
        AttemptHistory = AttemptHistory,
        Held = Held,
        JobKind = Kind ?? (IsFlow ? "flow" : "script"),
        ScriptHash = ScriptHash,
        Worker = Status == JobStatus.Running ? ClaimedBy : null,
    };

    private static JsonElement? ParseOrNull(string? json) =>
        json is null ? null : JsonDocument.Parse(json).RootElement.Clone();
}
