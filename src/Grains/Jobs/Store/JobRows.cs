using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using Triggers.Extensions;

namespace Triggers.Jobs.Store;

/// <summary>
/// How a <see cref="JobRecord"/> maps to a row of the <c>jobs</c> table (schema: <c>Sql/</c>), both ways: the columns
/// read back and the columns a new job is inserted with. A new column touches this file and a migration.
/// </summary>
internal static class JobRows
{
    /// <summary>
    /// A claimed job keeps <c>status = 'queued'</c> and runs while <c>claimed_by</c> is set: <c>status</c> is in the
    /// partial indexes' predicates, so a claim that changed it would write a new entry in every index of <c>jobs</c>,
    /// while one that sets only the claim's columns is a HOT update (see Sql/0011). A job that is <c>'running'</c> was
    /// claimed by a silo of an earlier version (before that migration, or during a rolling upgrade) and counts too.
    /// </summary>
    public const string Running = "jobs.status IN ('queued', 'running') AND jobs.claimed_by IS NOT NULL";

    /// <summary>The status the API shows, from the stored status and the claim.</summary>
    public const string Status = "CASE WHEN jobs.status = 'queued' AND jobs.claimed_by IS NOT NULL THEN 'running' ELSE jobs.status END";

    // Read in this order by Read() below; JSON columns come back as text so the store never parses what it passes on.
    public const string Columns =
        "id, workspace_id, script_path, is_flow, args::text, event::text, " + Status + ", result::text, logs, error::text, " +
        "attempts, trigger_kind, trigger_path, created_at, started_at, completed_at, " +
        "flow_job_id, error_handler_job_id, failed_job_id, scheduled_for, attempt_history::text, held, job_kind, claimed_by, lost_runs, script_hash, claim_ordinal, lost_claims";

    /// <summary><see cref="Columns"/> with logs left out, for listings.</summary>
    public static readonly string ColumnsWithoutLogs = Columns.Replace(" logs,", " NULL,");

    public static JobRecord Read(NpgsqlDataReader r) => new()
    {
        Id = r.GetGuid(0),
        WorkspaceId = r.GetString(1),
        ScriptPath = r.GetString(2),
        IsFlow = r.GetBoolean(3),
        ArgsJson = r.IsDBNull(4) ? null : r.GetString(4),
        EventJson = r.IsDBNull(5) ? null : r.GetString(5),
        Status = JobStatusNames.TryParse(r.GetString(6), out var status) ? status : JobStatus.Failure,
        ResultJson = r.IsDBNull(7) ? null : r.GetString(7),
        Logs = r.IsDBNull(8) ? null : r.GetString(8),
        Error = r.IsDBNull(9) ? null : JsonSerializer.Deserialize<JobError>(r.GetString(9), JobJson.Options),
        Attempts = r.GetInt32(10),
        TriggerKind = r.IsDBNull(11) ? null : r.GetString(11),
        TriggerPath = r.IsDBNull(12) ? null : r.GetString(12),
        CreatedAt = r.GetFieldValue<DateTimeOffset>(13),
        StartedAt = r.IsDBNull(14) ? null : r.GetFieldValue<DateTimeOffset>(14),
        CompletedAt = r.IsDBNull(15) ? null : r.GetFieldValue<DateTimeOffset>(15),
        FlowJobId = r.IsDBNull(16) ? null : r.GetGuid(16),
        ErrorHandlerJobId = r.IsDBNull(17) ? null : r.GetGuid(17),
        FailedJobId = r.IsDBNull(18) ? null : r.GetGuid(18),
        ScheduledFor = r.IsDBNull(19) ? null : r.GetFieldValue<DateTimeOffset>(19),
        AttemptHistory = JsonSerializer.Deserialize<List<JobAttempt>>(r.GetString(20), JobJson.Options) ?? [],
        Held = r.GetBoolean(21),
        Kind = r.IsDBNull(22) ? null : r.GetString(22),
        ClaimedBy = r.IsDBNull(23) ? null : r.GetString(23),
        LostRuns = r.GetInt32(24),
        ScriptHash = r.IsDBNull(25) ? null : r.GetString(25),
        ClaimOrdinal = r.IsDBNull(26) ? 0 : r.GetInt64(26),
        LostClaims = r.GetInt32(27),
    };

    /// <summary>Whether the claim a job is under started, by its worker's <c>job_workers.started_through</c>: a job
    /// waiting in a worker's buffer had not.</summary>
    public const string ClaimStarted =
        "jobs.claim_ordinal <= COALESCE((SELECT w.started_through FROM job_workers w WHERE w.worker_id = jobs.claimed_by), 0)";

    /// <summary>One statement that moves each worker's started mark up to the highest of its <paramref name="starts"/>.</summary>
    public static NpgsqlCommand MarkStarted(NpgsqlDataSource db, IReadOnlyList<(string Worker, long Ordinal)> starts)
    {
        var highest = starts.GroupBy(s => s.Worker).Select(g => (Worker: g.Key, Ordinal: g.Max(s => s.Ordinal))).ToList();
        var command = db.CreateCommand("""
            INSERT INTO job_workers (worker_id, started_through)
            SELECT * FROM unnest(@worker, @ordinal)
            ON CONFLICT (worker_id) DO UPDATE
                SET started_through = GREATEST(job_workers.started_through, excluded.started_through), updated_at = now()
            """);
        command.Parameters.Add(new NpgsqlParameter("worker", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = highest.Select(s => s.Worker).ToArray() });
        command.Parameters.Add(new NpgsqlParameter("ordinal", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { Value = highest.Select(s => s.Ordinal).ToArray() });
        return command;
    }

    /// <summary>What a lost claim adds to a job's counts (in an UPDATE's SET, where <c>claimed_by</c> is the lost claim's).</summary>
    public const string CountLostClaim =
        "lost_runs = lost_runs + CASE WHEN " + ClaimStarted + " THEN 1 ELSE 0 END, lost_claims = lost_claims + 1";

    /// <summary>What a queued job is inserted with; every other column starts at its default.</summary>
    private static readonly InsertedColumn[] Inserted =
    [
        new("id", NpgsqlDbType.Uuid, jobs => jobs.Select(j => j.Id).ToArray()),
        new("workspace_id", NpgsqlDbType.Text, jobs => jobs.Select(j => j.WorkspaceId).ToArray()),
        new("script_path", NpgsqlDbType.Text, jobs => jobs.Select(j => j.ScriptPath).ToArray()),
        new("is_flow", NpgsqlDbType.Boolean, jobs => jobs.Select(j => j.IsFlow).ToArray()),
        new("args", NpgsqlDbType.Text, jobs => jobs.Select(j => StoredText.Json(j.ArgsJson)).ToArray(), "jsonb"),
        new("event", NpgsqlDbType.Text, jobs => jobs.Select(j => StoredText.Json(j.EventJson)).ToArray(), "jsonb"),
        new("trigger_kind", NpgsqlDbType.Text, jobs => jobs.Select(j => j.TriggerKind).ToArray()),
        new("trigger_path", NpgsqlDbType.Text, jobs => jobs.Select(j => j.TriggerPath).ToArray()),
        new("created_at", NpgsqlDbType.TimestampTz, jobs => jobs.Select(j => j.CreatedAt).ToArray()),
        new("flow_job_id", NpgsqlDbType.Uuid, jobs => jobs.Select(j => j.FlowJobId).ToArray()),
        new("failed_job_id", NpgsqlDbType.Uuid, jobs => jobs.Select(j => j.FailedJobId).ToArray()),
        new("held", NpgsqlDbType.Boolean, jobs => jobs.Select(j => j.Held).ToArray()),
        new("job_kind", NpgsqlDbType.Text, jobs => jobs.Select(j => j.Kind).ToArray()),
        new("order_key", NpgsqlDbType.Text, jobs => jobs.Select(j => j.OrderKey).ToArray()),
    ];

    /// <param name="Values">The column's values for a batch, as one array parameter.</param>
    /// <param name="Cast">The column's type when the parameter carries it as text (JSON).</param>
    private sealed record InsertedColumn(string Name, NpgsqlDbType Type, Func<IReadOnlyList<JobRecord>, Array> Values, string? Cast = null);

    /// <summary>
    /// One statement that queues the jobs (existing ids are skipped) and moves their triggers' positions forward, so
    /// a job and the position past it are durable together. Each job and position belongs to a write (one caller of a
    /// group commit): a write any of whose positions names an epoch that is no longer its partition's is fenced, and
    /// nothing of it is stored. Returns the new jobs' ids and the fenced writes' ids.
    /// </summary>
    /// <param name="writes">Each job's write, in the order of <paramref name="jobs"/>.</param>
    public static NpgsqlCommand InsertQueued(NpgsqlDataSource db, IReadOnlyList<JobRecord> jobs, IReadOnlyList<Guid> writes, IReadOnlyList<(TriggerPosition Position, Guid Write)> positions)
    {
        var command = db.CreateCommand(positions.Count == 0 ? InsertQueuedSql : FencedInsertSql);
        foreach (var column in Inserted)
            command.Parameters.Add(new NpgsqlParameter(column.Name, NpgsqlDbType.Array | column.Type) { Value = column.Values(jobs) });
        if (positions.Count == 0) return command;
        command.Parameters.Add(new NpgsqlParameter("write", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = writes.ToArray() });
        command.Parameters.Add(new NpgsqlParameter("position_write", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = positions.Select(p => p.Write).ToArray() });
        command.Parameters.Add(new NpgsqlParameter("position_trigger", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = positions.Select(p => p.Position.Trigger).ToArray() });
        command.Parameters.Add(new NpgsqlParameter("position_partition", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = positions.Select(p => p.Position.Partition).ToArray() });
        command.Parameters.Add(new NpgsqlParameter("position_epoch", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { Value = positions.Select(p => p.Position.Epoch).ToArray() });
        command.Parameters.Add(new NpgsqlParameter("position_next", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { Value = positions.Select(p => p.Position.Next).ToArray() });
        return command;
    }

    private static readonly string InsertedColumns = string.Join(", ", Inserted.Select(c => c.Name));

    private static readonly string InsertedValues = string.Join(", ", Inserted.Select(c => c.Cast is null ? c.Name : $"{c.Name}::{c.Cast}"));

    private static readonly string InsertedArrays = string.Join(", ", Inserted.Select(c => $"@{c.Name}"));

    private static readonly string InsertQueuedSql = $"""
        INSERT INTO jobs ({InsertedColumns}, status)
        SELECT {InsertedValues}, 'queued'
        FROM unnest({InsertedArrays}) AS t({InsertedColumns})
        ON CONFLICT (id) DO NOTHING
        RETURNING id
        """;

    // The rows a write's epochs still own are locked first (a new owner's take waits, or has already changed the epoch,
    // and then the row is not owned): a position moves only when every position of its write is owned, so that it
    // never moves past jobs that were not stored. Positions only move forward.
    private static readonly string FencedInsertSql = $"""
        WITH positions AS (
            SELECT * FROM unnest(@position_write, @position_trigger, @position_partition, @position_epoch, @position_next)
                AS x(write_id, trigger_source, source_partition, epoch, next)),
        owned AS (
            SELECT tp.trigger_source, tp.source_partition, tp.owner_epoch FROM trigger_positions tp
            JOIN (SELECT DISTINCT trigger_source, source_partition, epoch FROM positions) p
              ON tp.trigger_source = p.trigger_source AND tp.source_partition = p.source_partition AND tp.owner_epoch = p.epoch
            FOR UPDATE OF tp),
        fenced AS (
            SELECT DISTINCT p.write_id FROM positions p
            WHERE NOT EXISTS (SELECT 1 FROM owned o
                              WHERE o.trigger_source = p.trigger_source AND o.source_partition = p.source_partition AND o.owner_epoch = p.epoch)),
        moved AS (
            UPDATE trigger_positions tp SET next_position = GREATEST(tp.next_position, p.next), updated_at = now()
            FROM (SELECT trigger_source, source_partition, epoch, max(next) AS next FROM positions
                  WHERE write_id NOT IN (SELECT write_id FROM fenced) GROUP BY 1, 2, 3) p
            WHERE tp.trigger_source = p.trigger_source AND tp.source_partition = p.source_partition AND tp.owner_epoch = p.epoch),
        inserted AS (
            INSERT INTO jobs ({InsertedColumns}, status)
            SELECT {InsertedValues}, 'queued'
            FROM unnest({InsertedArrays}, @write) AS t({InsertedColumns}, write_id)
            WHERE t.write_id NOT IN (SELECT write_id FROM fenced)
            ON CONFLICT (id) DO NOTHING
            RETURNING id)
        SELECT id FROM inserted
        UNION ALL
        SELECT write_id FROM fenced
        """;

    /// <summary>
    /// One statement that records the final outcome of many runs, each only if its claim still holds the job (so a
    /// stale or repeated completion changes nothing); returns the ids it recorded. The attempt number in each history
    /// entry is the row's own run count, added in SQL.
    /// </summary>
    public static NpgsqlCommand CompleteRuns(NpgsqlDataSource db, IReadOnlyList<FinishedRun> runs)
    {
        var command = db.CreateCommand($"""
            UPDATE jobs SET status = t.status, result = t.result::jsonb, args = COALESCE(t.args::jsonb, jobs.args), logs = t.logs,
                            error = t.error::jsonb, started_at = t.started, completed_at = t.completed, scheduled_for = NULL,
                            attempt_history = jobs.attempt_history || jsonb_build_array(t.attempt::jsonb || jsonb_build_object('attempt', jobs.attempts)),
                            claimed_by = NULL, lease_until = NULL, script_hash = COALESCE(t.script_hash, jobs.script_hash)
            FROM unnest(@id, @claimed_by, @claimed_attempt, @status, @result, @args, @logs, @error, @started, @completed, @attempt, @script_hash)
                 AS t(id, claimed_by, claimed_attempt, status, result, args, logs, error, started, completed, attempt, script_hash)
            WHERE jobs.id = t.id AND {Running} AND jobs.claimed_by = t.claimed_by AND jobs.attempts = t.claimed_attempt
            RETURNING jobs.id
            """);
        Add("id", NpgsqlDbType.Uuid, runs.Select(r => r.Id).ToArray());
        Add("claimed_by", NpgsqlDbType.Text, runs.Select(r => r.Claim.Worker).ToArray());
        Add("claimed_attempt", NpgsqlDbType.Integer, runs.Select(r => r.Claim.Attempt).ToArray());
        Add("status", NpgsqlDbType.Text, runs.Select(r => (r.Outcome.Succeeded ? JobStatus.Success : JobStatus.Failure).Name()).ToArray());
        Add("result", NpgsqlDbType.Text, runs.Select(r => Json(r.Outcome.Result)).ToArray());
        Add("args", NpgsqlDbType.Text, runs.Select(r => Json(r.Outcome.MainArgs)).ToArray());
        Add("logs", NpgsqlDbType.Text, runs.Select(r => StoredText.Text(r.Outcome.Logs)).ToArray());
        Add("error", NpgsqlDbType.Text, runs.Select(r => ErrorJson(r.Outcome)).ToArray());
        Add("started", NpgsqlDbType.TimestampTz, runs.Select(r => r.Outcome.StartedAt).ToArray());
        Add("completed", NpgsqlDbType.TimestampTz, runs.Select(r => r.Outcome.CompletedAt).ToArray());
        Add("attempt", NpgsqlDbType.Text, runs.Select(r => AttemptJson(r.Outcome)).ToArray());
        Add("script_hash", NpgsqlDbType.Text, runs.Select(r => r.Outcome.ScriptHash).ToArray());
        return command;

        void Add(string name, NpgsqlDbType type, Array values) =>
            command.Parameters.Add(new NpgsqlParameter(name, NpgsqlDbType.Array | type) { Value = values });
    }

    // What a run produced is stored through StoredText: a script's output must never make its job unstorable.
    public static string? Json(JsonElement? value) => value is { } v ? StoredText.Json(v.GetRawText()) : null;

    public static string? ErrorJson(JobOutcome outcome) => outcome.Error is null ? null : StoredText.Json(JsonSerializer.Serialize(outcome.Error, JobJson.Options));

    /// <summary>The attempt-history entry of a run, without its number (the row knows it).</summary>
    public static string AttemptJson(JobOutcome outcome) => StoredText.Json(JsonSerializer.Serialize(new
    {
        started_at = outcome.StartedAt, completed_at = outcome.CompletedAt, succeeded = outcome.Succeeded, error = outcome.Error,
    }, JobJson.Options))!;
}

/// <summary>A run's final outcome, waiting to be written with others.</summary>
internal sealed record FinishedRun(Guid Id, JobClaim Claim, JobOutcome Outcome);

