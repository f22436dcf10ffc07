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
    // Several triggers' large messages arriving at once are written in several statements, each well within what
    // PostgreSQL takes in one (a text parameter's 1 GB among them).
    private const long MaxCharsPerInsert = 64L << 20;
    private const int MaxRunsPerCompletion = 1_000;

    /// <summary>One row of an insert: a new job, or the position a trigger reached with the jobs beside it.</summary>
    private readonly record struct InsertRow(JobRecord? Job, TriggerPosition? Position);

    private readonly GroupCommit<InsertRow> _inserts;
    private readonly GroupCommit<FinishedRun> _completions;

    public JobWriteBatcher(NpgsqlDataSource db, JobQueueSignal signal, ILogger<JobWriteBatcher> logger)
    {
        _inserts = new GroupCommit<InsertRow>(async rows =>
        {
            var jobs = rows.Where(r => r.Job is not null).Select(r => r.Job!).ToList();
            // One row per partition: a statement may not move the same position twice.
            var positions = rows.Where(r => r.Position is not null).Select(r => r.Position!)
                .GroupBy(p => (p.Trigger, p.Partition)).Select(g => g.MaxBy(p => p.Next)!).ToList();
            var inserted = await ReadIdsAsync(JobRows.InsertQueued(db, jobs, positions));
            if (inserted.Count > 0) signal.Notify(inserted.Count);
            return inserted;
        }, MaxRowsPerInsert, logger, "Inserting jobs",
            row => (row.Job?.EventJson?.Length ?? 0) + (row.Job?.ArgsJson?.Length ?? 0), MaxCharsPerInsert);
        _completions = new GroupCommit<FinishedRun>(runs => ReadIdsAsync(JobRows.CompleteRuns(db, runs)), MaxRunsPerCompletion, logger, "Completing jobs");
    }

    /// <summary>Inserts the jobs (existing ids are skipped) and moves the positions, together; returns the new ids.</summary>
    public async Task<IReadOnlySet<Guid>> InsertAsync(IReadOnlyList<JobRecord> jobs, IReadOnlyList<TriggerPosition> positions, CancellationToken ct)
    {
        var rows = new List<InsertRow>(jobs.Count + positions.Count);
        rows.AddRange(jobs.Select(j => new InsertRow(j, null)));
        rows.AddRange(positions.Select(p => new InsertRow(null, p)));
        var inserted = await _inserts.SubmitAsync(rows, ct);
        return jobs.Select(j => j.Id).Where(inserted.Contains).ToHashSet();
    }

    /// <summary>Records a run's outcome as its job's final state if the claim still holds the job; returns whether it did.</summary>
    public async Task<bool> CompleteAsync(Guid id, JobClaim claim, JobOutcome outcome, CancellationToken ct) =>
        (await _completions.SubmitAsync([new FinishedRun(id, claim, outcome)], ct)).Contains(id);

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
