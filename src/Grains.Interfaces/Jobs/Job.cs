using System.Text.Json;
using System.Text.Json.Serialization;
using Triggers.Serialization;

namespace Triggers.Jobs;

[JsonConverter(typeof(NamedEnumConverter<JobStatus>))]
public enum JobStatus
{
    [JsonStringEnumMemberName("queued")] Queued,
    [JsonStringEnumMemberName("running")] Running,
    [JsonStringEnumMemberName("success")] Success,
    [JsonStringEnumMemberName("failure")] Failure,
}

/// <summary>A job status by the name the API, the queries and the job table use: the enum's JSON name, defined once above.</summary>
public static class JobStatusNames
{
    private static readonly Dictionary<JobStatus, string> Names =
        Enum.GetValues<JobStatus>().ToDictionary(status => status, status => JsonSerializer.Serialize(status).Trim('"'));
    private static readonly Dictionary<string, JobStatus> ByName = Names.ToDictionary(pair => pair.Value, pair => pair.Key);

    public static string Name(this JobStatus status) => Names[status];

    public static bool TryParse(string name, out JobStatus status) => ByName.TryGetValue(name, out status);

    public static IEnumerable<string> All => Names.Values;
}

/// <summary>One run of a runnable, as the jobs API shows it.</summary>
[GenerateSerializer, Alias("Triggers.Job")]
public sealed record Job
{
    [Id(0)] public Guid Id { get; init; }
    [Id(1)] public string WorkspaceId { get; init; } = "";
    [Id(2)] public string ScriptPath { get; init; } = "";
    [Id(3)] public bool IsFlow { get; init; }
    [Id(4)] public JsonElement? Args { get; init; }
    [Id(5)] public JobStatus Status { get; init; }
    [Id(6)] public JsonElement? Result { get; init; }
    [Id(7)] public string? Logs { get; init; }
    [Id(8)] public JobError? Error { get; init; }
    [Id(9)] public int Attempts { get; init; }
    [Id(10)] public string? TriggerKind { get; init; }
    [Id(11)] public string? TriggerPath { get; init; }
    [Id(12)] public DateTimeOffset CreatedAt { get; init; }
    [Id(13)] public DateTimeOffset? StartedAt { get; init; }
    [Id(14)] public DateTimeOffset? CompletedAt { get; init; }
    [Id(15)] public long? DurationMs { get; init; }
    /// <summary>For a step of a flow: the flow's job.</summary>
    [Id(16)] public Guid? FlowJobId { get; init; }
    /// <summary>For a job that finally failed: the error handler job it started.</summary>
    [Id(17)] public Guid? ErrorHandlerJobId { get; init; }
    /// <summary>For an error handler job: the job whose failure it handles.</summary>
    [Id(18)] public Guid? FailedJobId { get; init; }
    /// <summary>When a queued rerun becomes due.</summary>
    [Id(19)] public DateTimeOffset? ScheduledFor { get; init; }
    /// <summary>Every run so far, oldest first.</summary>
    [Id(20)] public IReadOnlyList<JobAttempt> AttemptHistory { get; init; } = [];
    /// <summary>Queued by a suspended trigger: workers leave it until the trigger is enabled again.</summary>
    [Id(21)] public bool Held { get; init; }
    /// <summary><c>script</c>, <c>flow</c> or <c>dependencies</c> (resolving a script's packages), as Windmill's <c>job_kind</c>.</summary>
    [Id(22)] public string JobKind { get; init; } = "script";
    /// <summary>The script version the last run ran (Windmill's <c>script_hash</c>); null before it ran, and for flows.</summary>
    [Id(23)] public string? ScriptHash { get; init; }
    /// <summary>The worker running the job (Windmill's <c>worker</c>): its silo's address; null while queued and once finished.</summary>
    [Id(24)] public string? Worker { get; init; }
}

/// <summary>One run of a job.</summary>
[GenerateSerializer, Alias("Triggers.JobAttempt")]
public sealed record JobAttempt(
    [property: Id(0)] int Attempt,
    [property: Id(1)] DateTimeOffset StartedAt,
    [property: Id(2)] DateTimeOffset CompletedAt,
    [property: Id(3)] bool Succeeded,
    [property: Id(4)] JobError? Error);

[GenerateSerializer, Alias("Triggers.JobQuery")]
public sealed record JobQuery
{
    [Id(0)] public string WorkspaceId { get; init; } = "";
    [Id(1)] public string? ScriptPath { get; init; }
    [Id(2)] public string? TriggerPath { get; init; }
    [Id(3)] public JobStatus? Status { get; init; }
    [Id(4)] public int Page { get; init; } = 1;
    [Id(5)] public int PerPage { get; init; } = 100;
    [Id(6)] public Guid? FlowJobId { get; init; }

    public const int MaxPerPage = 1_000;

    /// <summary>The query, or a problem naming the parameter: pages count from 1, at most <see cref="MaxPerPage"/> jobs a page.</summary>
    public static JobQuery Checked(JobQuery query) => query switch
    {
        { Page: < 1 } => throw new Validation.InvalidInputException("page", "page counts from 1."),
        { PerPage: < 1 or > MaxPerPage } => throw new Validation.InvalidInputException("per_page", $"per_page must be 1 to {MaxPerPage:N0}."),
        _ => query,
    };

    /// <summary>How many jobs come before the page (a long: far pages must not overflow).</summary>
    public long Offset => (long)(Page - 1) * PerPage;
}

/// <summary>The authority on one job's lifecycle (key: the job id).</summary>
[Alias("Triggers.IJobGrain")]
public interface IJobGrain : IGrainWithGuidKey
{
    /// <summary>Queues a run of a stored script or flow with the given arguments (a direct run, not from a trigger).</summary>
    Task<Job> EnqueueAsync(string workspaceId, string path, bool isFlow, JsonElement args);
    /// <summary>Queues a dry run of a script's preprocessor on <paramref name="triggerEvent"/>: its result is the
    /// arguments main would get; main does not run.</summary>
    Task<Job> EnqueuePreprocessAsync(string workspaceId, string path, JsonElement triggerEvent);
    Task<Job?> GetAsync();
    /// <summary>Records the outcome of a run a worker finished under <paramref name="claim"/>; an outcome from a claim
    /// that is no longer the job's (a stale worker, a repeated call) changes nothing.</summary>
    Task CompleteAsync(JobClaim claim, JobOutcome outcome);
}

/// <summary>
/// Which run of a job a worker holds: its worker and the attempt number the claim gave it. Completions are fenced by
/// it, so a worker that lost its claim (its lease ran out and another worker took the job) cannot overwrite the job.
/// </summary>
[GenerateSerializer, Alias("Triggers.JobClaim")]
public readonly record struct JobClaim([property: Id(0)] string Worker, [property: Id(1)] int Attempt);

/// <summary>What one run of a job produced.</summary>
[GenerateSerializer, Alias("Triggers.JobOutcome")]
public sealed record JobOutcome
{
    [Id(0)] public bool Succeeded { get; init; }
    [Id(1)] public JsonElement? Result { get; init; }
    /// <summary>The arguments main actually got, after any preprocessor.</summary>
    [Id(2)] public JsonElement? MainArgs { get; init; }
    [Id(3)] public string Logs { get; init; } = "";
    [Id(4)] public JobError? Error { get; init; }
    [Id(5)] public DateTimeOffset StartedAt { get; init; }
    [Id(6)] public DateTimeOffset CompletedAt { get; init; }
    /// <summary>The failure ends the job whatever its retry policy says (it was lost by workers too often).</summary>
    [Id(7)] public bool NeverRerun { get; init; }
    /// <summary>The script version the run ran; null when no script ran.</summary>
    [Id(8)] public string? ScriptHash { get; init; }
}

/// <summary>Queries over the job history; stateless so every silo answers locally.</summary>
[Alias("Triggers.IJobCatalogGrain")]
public interface IJobCatalogGrain : IGrainWithIntegerKey
{
    Task<IReadOnlyList<Job>> ListAsync(JobQuery query);

    /// <summary>The workspace's unfinished jobs (waiting, held, running), counted up to <paramref name="atMost"/>.</summary>
    Task<int> CountUnfinishedAsync(string workspaceId, int atMost);
}
