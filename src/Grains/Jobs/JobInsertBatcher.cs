using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;

namespace Triggers.Jobs;

/// <summary>
/// Group commit for job inserts: callers that arrive while an insert is in flight are merged into the next
/// one, so a burst from many triggers costs a few round trips instead of one per job.
/// </summary>
public sealed class JobInsertBatcher : IAsyncDisposable
{
    private const int MaxRowsPerInsert = 20_000;

    private readonly NpgsqlDataSource _db;
    private readonly JobQueueSignal _signal;
    private readonly ILogger<JobInsertBatcher> _logger;
    private readonly Channel<PendingInsert> _pending = Channel.CreateUnbounded<PendingInsert>(new() { SingleReader = true });
    private readonly Task _writer;

    private sealed record PendingInsert(IReadOnlyList<JobRecord> Jobs, TaskCompletionSource<int> Done);

    public JobInsertBatcher(NpgsqlDataSource db, JobQueueSignal signal, ILogger<JobInsertBatcher> logger)
    {
        _db = db;
        _signal = signal;
        _logger = logger;
        _writer = Task.Run(WriteLoopAsync);
    }

    /// <summary>Inserts the jobs (existing ids are skipped) and returns how many were new.</summary>
    public Task<int> InsertAsync(IReadOnlyList<JobRecord> jobs, CancellationToken ct)
    {
        var done = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_pending.Writer.TryWrite(new PendingInsert(jobs, done)))
            done.SetException(new ObjectDisposedException(nameof(JobInsertBatcher)));
        return done.Task.WaitAsync(ct);
    }

    private async Task WriteLoopAsync()
    {
        var group = new List<PendingInsert>();
        while (await _pending.Reader.WaitToReadAsync())
        {
            group.Clear();
            var rows = 0;
            while (rows < MaxRowsPerInsert && _pending.Reader.TryRead(out var next))
            {
                group.Add(next);
                rows += next.Jobs.Count;
            }
            try
            {
                var inserted = await InsertGroupAsync(group, rows);
                foreach (var pending in group)
                    pending.Done.TrySetResult(pending.Jobs.Count(j => inserted.Contains(j.Id)));
                if (inserted.Count > 0) _signal.Notify(inserted.Count);
            }
            catch (Exception e)
            {
                _logger.LogWarning(e, "Inserting {Rows} jobs failed", rows);
                foreach (var pending in group) pending.Done.TrySetException(e);
            }
        }
    }

    private async Task<HashSet<Guid>> InsertGroupAsync(List<PendingInsert> group, int rows)
    {
        var ids = new Guid[rows];
        var workspaces = new string[rows];
        var scripts = new string[rows];
        var flows = new bool[rows];
        var args = new string?[rows];
        var events = new string?[rows];
        var kinds = new string?[rows];
        var triggers = new string?[rows];
        var created = new DateTimeOffset[rows];
        var flowJobs = new Guid?[rows];
        var failedJobs = new Guid?[rows];
        var held = new bool[rows];
        var i = 0;
        foreach (var job in group.SelectMany(p => p.Jobs))
        {
            ids[i] = job.Id;
            workspaces[i] = job.WorkspaceId;
            scripts[i] = job.ScriptPath;
            flows[i] = job.IsFlow;
            args[i] = job.ArgsJson;
            events[i] = job.EventJson;
            kinds[i] = job.TriggerKind;
            triggers[i] = job.TriggerPath;
            created[i] = job.CreatedAt;
            flowJobs[i] = job.FlowJobId;
            failedJobs[i] = job.FailedJobId;
            held[i] = job.Held;
            i++;
        }
        // unnest keeps array order, so seq (queue order) follows the order the jobs were handed in.
        await using var cmd = _db.CreateCommand("""
            INSERT INTO jobs (id, workspace_id, script_path, is_flow, args, event, status, trigger_kind, trigger_path, created_at,
                              flow_job_id, failed_job_id, held)
            SELECT id, ws, script, flow, a::jsonb, e::jsonb, 'queued', kind, trig, created, fj, fd, h
            FROM unnest(@ids, @ws, @scripts, @flows, @args, @events, @kinds, @triggers, @created, @flow_jobs, @failed_jobs, @held)
                 AS t(id, ws, script, flow, a, e, kind, trig, created, fj, fd, h)
            ON CONFLICT (id) DO NOTHING
            RETURNING id
            """);
        cmd.Parameters.AddWithValue("ids", ids);
        cmd.Parameters.AddWithValue("ws", workspaces);
        cmd.Parameters.AddWithValue("scripts", scripts);
        cmd.Parameters.AddWithValue("flows", flows);
        cmd.Parameters.AddWithValue("args", NpgsqlDbType.Array | NpgsqlDbType.Text, args);
        cmd.Parameters.AddWithValue("events", NpgsqlDbType.Array | NpgsqlDbType.Text, events);
        cmd.Parameters.AddWithValue("kinds", NpgsqlDbType.Array | NpgsqlDbType.Text, kinds);
        cmd.Parameters.AddWithValue("triggers", NpgsqlDbType.Array | NpgsqlDbType.Text, triggers);
        cmd.Parameters.AddWithValue("created", created);
        cmd.Parameters.AddWithValue("flow_jobs", NpgsqlDbType.Array | NpgsqlDbType.Uuid, flowJobs);
        cmd.Parameters.AddWithValue("failed_jobs", NpgsqlDbType.Array | NpgsqlDbType.Uuid, failedJobs);
        cmd.Parameters.AddWithValue("held", held);
        var inserted = new HashSet<Guid>(rows);
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync()) inserted.Add(reader.GetGuid(0));
        return inserted;
    }

    public async ValueTask DisposeAsync()
    {
        _pending.Writer.TryComplete();
        await _writer;
    }
}
