using Microsoft.Extensions.Logging;
using Npgsql;

namespace Triggers.Jobs.Store;

/// <summary>
/// The job store's group commits: new jobs from many triggers, and finished runs from many worker slots, each
/// merged into one statement per round trip (<see cref="GroupCommit{TRow}"/>).
/// </summary>
public sealed class JobWriteBatcher : IAsyncDisposable
{
    private const int MaxRowsPerInsert = 20_000;
    private const int MaxRunsPerCompletion = 1_000;

    private readonly GroupCommit<JobRecord> _inserts;
    private readonly GroupCommit<FinishedRun> _completions;

    public JobWriteBatcher(NpgsqlDataSource db, JobQueueSignal signal, ILogger<JobWriteBatcher> logger)
    {
        _inserts = new GroupCommit<JobRecord>(async jobs =>
        {
            var inserted = await ReadIdsAsync(JobRows.InsertQueued(db, jobs));
            if (inserted.Count > 0) signal.Notify(inserted.Count);
            return inserted;
        }, MaxRowsPerInsert, logger, "Inserting jobs");
        _completions = new GroupCommit<FinishedRun>(runs => ReadIdsAsync(JobRows.CompleteRuns(db, runs)), MaxRunsPerCompletion, logger, "Completing jobs");
    }

    /// <summary>Inserts the jobs (existing ids are skipped) and returns how many were new.</summary>
    public async Task<int> InsertAsync(IReadOnlyList<JobRecord> jobs, CancellationToken ct)
    {
        var inserted = await _inserts.SubmitAsync(jobs, ct);
        return jobs.Count(j => inserted.Contains(j.Id));
    }

    /// <summary>Records a run's outcome as its job's final state.</summary>
    public Task CompleteAsync(Guid id, JobOutcome outcome, CancellationToken ct) => _completions.SubmitAsync([new FinishedRun(id, outcome)], ct);

    private static async Task<IReadOnlySet<Guid>> ReadIdsAsync(NpgsqlCommand command)
    {
        await using (command)
        {
            var ids = new HashSet<Guid>();
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync()) ids.Add(reader.GetGuid(0));
            return ids;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _inserts.DisposeAsync();
        await _completions.DisposeAsync();
    }
}
