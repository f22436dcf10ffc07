using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using Triggers.Extensions;

namespace Triggers.Jobs.Store;

/// <summary>The job store of PostgreSQL mode (schema: <c>Sql/</c>, rows: <see cref="JobRows"/>).</summary>
public sealed class PostgresJobStore(NpgsqlDataSource db, JobWriteBatcher writes) : IJobStore
{
    public Task<IReadOnlySet<Guid>> EnqueueAsync(IReadOnlyList<JobRecord> jobs, IReadOnlyList<TriggerPosition> positions, CancellationToken ct = default) =>
        jobs.Count == 0 && positions.Count == 0 ? Task.FromResult<IReadOnlySet<Guid>>(new HashSet<Guid>()) : writes.InsertAsync(jobs, positions, ct);

    public async Task<IReadOnlyDictionary<string, PartitionOwnership>> TakePartitionsAsync(string trigger, IReadOnlyList<string> partitions, CancellationToken ct = default)
    {
        // Waits for a write of the former owner that holds a row: that write lands before, and its position is read here.
        await using var cmd = db.CreateCommand("""
            INSERT INTO trigger_positions (trigger_source, source_partition, next_position, owner_epoch)
            SELECT @trigger, p, 0, 1 FROM unnest(@partitions) AS p
            ON CONFLICT (trigger_source, source_partition) DO UPDATE
                SET owner_epoch = trigger_positions.owner_epoch + 1, updated_at = now()
            RETURNING source_partition, next_position, owner_epoch
            """);
        cmd.Parameters.AddWithValue("trigger", trigger);
        cmd.Parameters.AddWithValue("partitions", partitions.Distinct().ToArray());
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var taken = new Dictionary<string, PartitionOwnership>();
        while (await reader.ReadAsync(ct)) taken[reader.GetString(0)] = new PartitionOwnership(reader.GetInt64(1), reader.GetInt64(2));
        return taken;
    }

    public async Task<IReadOnlyDictionary<string, long>> PositionsAsync(string trigger, CancellationToken ct = default)
    {
        await using var cmd = db.CreateCommand("SELECT source_partition, next_position FROM trigger_positions WHERE trigger_source = @trigger");
        cmd.Parameters.AddWithValue("trigger", trigger);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var positions = new Dictionary<string, long>();
        while (await reader.ReadAsync(ct)) positions[reader.GetString(0)] = reader.GetInt64(1);
        return positions;
    }

    public async Task<int> DeleteFinishedAsync(DateTimeOffset before, int max, CancellationToken ct = default)
    {
        // One short statement per chunk; SKIP LOCKED lets silos sweeping at the same time share the work.
        await using var cmd = db.CreateCommand("""
            DELETE FROM jobs WHERE id IN (
                SELECT id FROM jobs WHERE status IN ('success', 'failure') AND completed_at < @before
                ORDER BY completed_at LIMIT @max FOR UPDATE SKIP LOCKED)
            """);
        cmd.Parameters.AddWithValue("before", before);
        cmd.Parameters.AddWithValue("max", max);
        return await cmd.ExecuteNonQueryAsync(ct);
    }

    public async Task ForgetPositionsAsync(string trigger, CancellationToken ct = default)
    {
        // Kept, with the next epoch: an epoch is never given twice, so a write of an owner from before is still refused.
        await using var cmd = db.CreateCommand("UPDATE trigger_positions SET next_position = 0, owner_epoch = owner_epoch + 1, updated_at = now() WHERE trigger_source = @trigger");
        cmd.Parameters.AddWithValue("trigger", trigger);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public async Task<IReadOnlyList<JobRecord>> ClaimAsync(string workerId, TimeSpan lease, int max, long firstOrdinal = 1, CancellationToken ct = default)
    {
        // SKIP LOCKED lets every worker of every silo claim concurrently without waiting on each other. A claim whose
        // lease ran out is taken over as a lost claim, and as a lost run if its worker had started it.
        await using var cmd = db.CreateCommand($"""
            WITH picked AS (SELECT id, seq FROM jobs
                             -- one condition that is the unfinished jobs' index predicate: the plan walks that index in
                             -- queue order and stops at @max (an OR of two status tests read and sorted every unfinished job)
                             WHERE jobs.status IN ('queued', 'running')
                               AND ((jobs.claimed_by IS NULL AND NOT held AND (scheduled_for IS NULL OR scheduled_for <= now()))
                                    OR (jobs.claimed_by IS NOT NULL AND lease_until < now()))
                               -- an ordered job waits until every earlier job of its partition or key has finished
                               AND (order_key IS NULL OR NOT EXISTS (
                                    SELECT 1 FROM jobs earlier WHERE earlier.order_key = jobs.order_key AND earlier.seq < jobs.seq
                                                                 AND earlier.status IN ('queued', 'running')))
                             ORDER BY seq LIMIT @max FOR UPDATE SKIP LOCKED),
            ranked AS (SELECT id AS claim_id, @first + row_number() OVER (ORDER BY seq) - 1 AS ordinal FROM picked),
            claimed AS (
                UPDATE jobs SET status = 'queued', attempts = attempts + 1, started_at = now(),
                                claimed_by = @worker, lease_until = now() + @lease, claim_ordinal = ranked.ordinal,
                                lost_runs = lost_runs + CASE WHEN jobs.claimed_by IS NOT NULL AND {JobRows.ClaimStarted} THEN 1 ELSE 0 END,
                                lost_claims = lost_claims + CASE WHEN jobs.claimed_by IS NOT NULL THEN 1 ELSE 0 END
                FROM ranked WHERE jobs.id = ranked.claim_id
                RETURNING {JobRows.Columns}, seq)
            SELECT * FROM claimed ORDER BY seq
            """);
        cmd.Parameters.AddWithValue("worker", workerId);
        cmd.Parameters.AddWithValue("lease", lease);
        cmd.Parameters.AddWithValue("max", max);
        cmd.Parameters.AddWithValue("first", firstOrdinal);
        return await ReadAllAsync(cmd, ct);
    }

    public async Task UnclaimAsync(IReadOnlyCollection<Guid> ids, string workerId, CancellationToken ct = default)
    {
        await using var cmd = db.CreateCommand($"""
            UPDATE jobs SET status = 'queued', attempts = attempts - 1, claimed_by = NULL, lease_until = NULL
            WHERE id = ANY(@ids) AND {JobRows.Running} AND claimed_by = @worker
            """);
        cmd.Parameters.AddWithValue("ids", ids.ToArray());
        cmd.Parameters.AddWithValue("worker", workerId);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public async Task<int> RequeueClaimedByAsync(IReadOnlyCollection<string> workerIds, CancellationToken ct = default)
    {
        // The workers' started marks go with their claims: a worker id that comes back (a configured one) counts anew.
        await using var cmd = db.CreateCommand($"""
            WITH requeued AS (
                UPDATE jobs SET status = 'queued', claimed_by = NULL, lease_until = NULL, {JobRows.CountLostClaim}
                WHERE {JobRows.Running} AND claimed_by = ANY(@workers) AND flow_job_id IS NULL
                RETURNING 1),
            forgotten AS (DELETE FROM job_workers WHERE worker_id = ANY(@workers))
            SELECT count(*)::int FROM requeued
            """);
        cmd.Parameters.AddWithValue("workers", workerIds.ToArray());
        return (int)(await cmd.ExecuteScalarAsync(ct))!;
    }

    public Task<bool> CompleteAsync(Guid id, JobClaim claim, JobOutcome outcome, CancellationToken ct = default) => writes.CompleteAsync(id, claim, outcome, ct);

    public Task MarkStartedAsync(string workerId, long ordinal, CancellationToken ct = default) => writes.MarkStartedAsync(workerId, ordinal, ct);

    public async Task<bool> RequeueAsync(Guid id, JobClaim claim, JobOutcome outcome, DateTimeOffset due, CancellationToken ct = default)
    {
        await using var cmd = db.CreateCommand($"""
            UPDATE jobs SET status = 'queued', scheduled_for = @due, args = COALESCE(@args::jsonb, args), logs = @logs,
                            error = @error::jsonb, started_at = @started,
                            attempt_history = attempt_history || jsonb_build_array(@attempt::jsonb || jsonb_build_object('attempt', attempts)),
                            claimed_by = NULL, lease_until = NULL, script_hash = COALESCE(@script_hash, script_hash)
            WHERE id = @id AND {JobRows.Running} AND claimed_by = @claimed_by AND attempts = @claimed_attempt
            """);
        AddRun(cmd, id, outcome);
        cmd.Parameters.AddWithValue("due", due);
        cmd.Parameters.AddWithValue("claimed_by", claim.Worker);
        cmd.Parameters.AddWithValue("claimed_attempt", claim.Attempt);
        return await cmd.ExecuteNonQueryAsync(ct) == 1;
    }

    public async Task FailUnfinishedStepsAsync(Guid flowJobId, JobError error, CancellationToken ct = default)
    {
        await using var cmd = db.CreateCommand($"""
            UPDATE jobs SET status = 'failure', error = @error::jsonb, completed_at = now(), claimed_by = NULL, lease_until = NULL
            WHERE flow_job_id = @flow AND {JobRows.Running}
            """);
        cmd.Parameters.AddWithValue("flow", flowJobId);
        cmd.Parameters.AddWithValue("error", JsonSerializer.Serialize(error, JobJson.Options));
        await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>The parameters a failed run writes: its arguments, logs, error and attempt record.</summary>
    private static void AddRun(NpgsqlCommand cmd, Guid id, JobOutcome outcome)
    {
        cmd.Parameters.AddWithValue("id", id);
        cmd.Parameters.AddWithValue("args", NpgsqlDbType.Text, (object?)JobRows.Json(outcome.MainArgs) ?? DBNull.Value);
        cmd.Parameters.AddWithValue("logs", StoredText.Text(outcome.Logs));
        cmd.Parameters.AddWithValue("error", NpgsqlDbType.Text, (object?)JobRows.ErrorJson(outcome) ?? DBNull.Value);
        cmd.Parameters.AddWithValue("started", outcome.StartedAt);
        cmd.Parameters.AddWithValue("attempt", NpgsqlDbType.Text, JobRows.AttemptJson(outcome));
        cmd.Parameters.AddWithValue("script_hash", NpgsqlDbType.Text, (object?)outcome.ScriptHash ?? DBNull.Value);
    }

    public async Task<IReadOnlyList<Guid>> RedriveAsync(string workspaceId, string triggerPath, IReadOnlyCollection<Guid>? ids, DateTimeOffset? since, CancellationToken ct = default)
    {
        await using var cmd = db.CreateCommand("""
            UPDATE jobs SET status = 'queued', result = NULL, error = NULL, started_at = NULL, completed_at = NULL,
                            scheduled_for = NULL, claimed_by = NULL, lease_until = NULL, lost_runs = 0, lost_claims = 0
            WHERE workspace_id = @ws AND trigger_path = @trigger AND status = 'failure' AND flow_job_id IS NULL
              AND (@ids::uuid[] IS NULL OR id = ANY(@ids)) AND (@since::timestamptz IS NULL OR completed_at >= @since)
            RETURNING id
            """);
        cmd.Parameters.AddWithValue("ws", workspaceId);
        cmd.Parameters.AddWithValue("trigger", triggerPath);
        cmd.Parameters.Add(new NpgsqlParameter("ids", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = (object?)ids?.ToArray() ?? DBNull.Value });
        cmd.Parameters.Add(new NpgsqlParameter("since", NpgsqlDbType.TimestampTz) { Value = (object?)since ?? DBNull.Value });
        var redriven = new List<Guid>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) redriven.Add(reader.GetGuid(0));
        return redriven;
    }

    public async Task MoveTriggerJobsAsync(string workspaceId, string fromPath, string toPath, CancellationToken ct = default)
    {
        await using var cmd = db.CreateCommand("""
            UPDATE jobs SET trigger_path = @to
            WHERE workspace_id = @ws AND trigger_path = @from AND status IN ('queued', 'running')
            """);
        cmd.Parameters.AddWithValue("ws", workspaceId);
        cmd.Parameters.AddWithValue("from", fromPath);
        cmd.Parameters.AddWithValue("to", toPath);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public async Task LinkErrorHandlerAsync(Guid failedJobId, Guid handlerJobId, CancellationToken ct = default)
    {
        await using var cmd = db.CreateCommand("UPDATE jobs SET error_handler_job_id = @handler WHERE id = @id");
        cmd.Parameters.AddWithValue("id", failedJobId);
        cmd.Parameters.AddWithValue("handler", handlerJobId);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public async Task<int> ReleaseHeldAsync(string workspaceId, string triggerPath, IReadOnlyCollection<Guid>? ids = null, CancellationToken ct = default)
    {
        await using var cmd = db.CreateCommand($"UPDATE jobs SET held = false WHERE {HeldJobs}");
        AddHeld(cmd, workspaceId, triggerPath, ids);
        return await cmd.ExecuteNonQueryAsync(ct);
    }

    public async Task<int> CancelHeldAsync(string workspaceId, string triggerPath, IReadOnlyCollection<Guid>? ids, JobError error, CancellationToken ct = default)
    {
        await using var cmd = db.CreateCommand(
            $"UPDATE jobs SET held = false, status = 'failure', error = @error::jsonb, completed_at = now() WHERE {HeldJobs}");
        AddHeld(cmd, workspaceId, triggerPath, ids);
        cmd.Parameters.AddWithValue("error", JsonSerializer.Serialize(error, JobJson.Options));
        return await cmd.ExecuteNonQueryAsync(ct);
    }

    private const string HeldJobs =
        "held AND status = 'queued' AND claimed_by IS NULL AND workspace_id = @ws AND trigger_path = @trigger AND (@ids::uuid[] IS NULL OR id = ANY(@ids))";

    private static void AddHeld(NpgsqlCommand cmd, string workspaceId, string triggerPath, IReadOnlyCollection<Guid>? ids)
    {
        cmd.Parameters.AddWithValue("ws", workspaceId);
        cmd.Parameters.AddWithValue("trigger", triggerPath);
        cmd.Parameters.AddWithValue("ids", NpgsqlDbType.Array | NpgsqlDbType.Uuid, (object?)ids?.ToArray() ?? DBNull.Value);
    }

    public async Task ExtendLeaseAsync(Guid id, TimeSpan lease, CancellationToken ct = default)
    {
        await using var cmd = db.CreateCommand($"UPDATE jobs SET lease_until = now() + @lease WHERE id = @id AND {JobRows.Running}");
        cmd.Parameters.AddWithValue("id", id);
        cmd.Parameters.AddWithValue("lease", lease);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public async Task StartAsync(JobRecord job, string workerId, CancellationToken ct = default)
    {
        await using var cmd = db.CreateCommand("""
            INSERT INTO jobs (id, workspace_id, script_path, is_flow, args, status, attempts, trigger_kind, trigger_path,
                              created_at, started_at, flow_job_id, claimed_by)
            VALUES (@id, @ws, @script, @flow, @args::jsonb, 'queued', 1, @kind, @trigger, @created, now(), @flow_job, @worker)
            ON CONFLICT (id) DO NOTHING
            """);
        cmd.Parameters.AddWithValue("id", job.Id);
        cmd.Parameters.AddWithValue("ws", job.WorkspaceId);
        cmd.Parameters.AddWithValue("script", job.ScriptPath);
        cmd.Parameters.AddWithValue("flow", job.IsFlow);
        cmd.Parameters.AddWithValue("args", NpgsqlDbType.Text, (object?)StoredText.Json(job.ArgsJson) ?? DBNull.Value);
        cmd.Parameters.AddWithValue("kind", NpgsqlDbType.Text, (object?)job.TriggerKind ?? DBNull.Value);
        cmd.Parameters.AddWithValue("trigger", NpgsqlDbType.Text, (object?)job.TriggerPath ?? DBNull.Value);
        cmd.Parameters.AddWithValue("created", job.CreatedAt);
        cmd.Parameters.AddWithValue("flow_job", NpgsqlDbType.Uuid, (object?)job.FlowJobId ?? DBNull.Value);
        cmd.Parameters.AddWithValue("worker", workerId);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public async Task<JobRecord?> GetAsync(Guid id, CancellationToken ct = default)
    {
        await using var cmd = db.CreateCommand($"SELECT {JobRows.Columns} FROM jobs WHERE id = @id");
        cmd.Parameters.AddWithValue("id", id);
        return await ReadOneAsync(cmd, ct);
    }

    public async Task<int> CountUnfinishedAsync(string workspaceId, int atMost, CancellationToken ct = default)
    {
        // A claimed (running) job is a 'queued' row too; the unfinished rows' index bounds the scan.
        await using var cmd = db.CreateCommand("""
            SELECT count(*) FROM (SELECT 1 FROM jobs WHERE status = 'queued' AND workspace_id = @ws LIMIT @limit) unfinished
            """);
        cmd.Parameters.AddWithValue("ws", workspaceId);
        cmd.Parameters.AddWithValue("limit", atMost);
        return (int)(long)(await cmd.ExecuteScalarAsync(ct))!;
    }

    public async Task<IReadOnlyList<JobRecord>> ListAsync(JobQuery query, CancellationToken ct = default)
    {
        await using var cmd = db.CreateCommand($"""
            SELECT {JobRows.ColumnsWithoutLogs} FROM jobs
            WHERE workspace_id = @ws
              AND (@script::text IS NULL OR script_path = @script)
              AND (@trigger::text IS NULL OR trigger_path = @trigger)
              AND (@status::text IS NULL OR {JobRows.Status} = @status)
              AND (@flow::uuid IS NULL OR flow_job_id = @flow)
            ORDER BY created_at DESC, seq DESC
            LIMIT @limit OFFSET @offset
            """);
        cmd.Parameters.AddWithValue("ws", query.WorkspaceId);
        cmd.Parameters.AddWithValue("script", NpgsqlDbType.Text, (object?)query.ScriptPath ?? DBNull.Value);
        cmd.Parameters.AddWithValue("trigger", NpgsqlDbType.Text, (object?)query.TriggerPath ?? DBNull.Value);
        cmd.Parameters.AddWithValue("status", NpgsqlDbType.Text, query.Status is { } s ? s.Name() : DBNull.Value);
        cmd.Parameters.AddWithValue("flow", NpgsqlDbType.Uuid, (object?)query.FlowJobId ?? DBNull.Value);
        cmd.Parameters.AddWithValue("limit", query.PerPage);
        cmd.Parameters.AddWithValue("offset", query.Offset);
        return await ReadAllAsync(cmd, ct);
    }

    private static async Task<IReadOnlyList<JobRecord>> ReadAllAsync(NpgsqlCommand cmd, CancellationToken ct)
    {
        var jobs = new List<JobRecord>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) jobs.Add(JobRows.Read(reader));
        return jobs;
    }

    private static async Task<JobRecord?> ReadOneAsync(NpgsqlCommand cmd, CancellationToken ct)
    {
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? JobRows.Read(reader) : null;
    }
}
