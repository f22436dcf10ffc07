using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Triggers.Jobs.Store;

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
        await using var cmd = JobRows.InsertQueued(_db, group.Count == 1 ? group[0].Jobs : group.SelectMany(p => p.Jobs).ToList());
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
