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

    /// <summary>One row of an insert: a new job, or the position a trigger reached with the jobs beside it; both of
    /// one caller's <paramref name="Write"/>, which is stored whole or not at all.</summary>
    private readonly record struct InsertRow(JobRecord? Job, TriggerPosition? Position, Guid Write);

    private readonly GroupCommit<InsertRow> _inserts;
    private readonly GroupCommit<FinishedRun> _completions;
    private readonly GroupCommit<(string Worker, long Ordinal)> _starts;

    public JobWriteBatcher(NpgsqlDataSource db, JobQueueSignal signal, ILogger<JobWriteBatcher> logger)
    {
        _inserts = new GroupCommit<InsertRow>(async (rows, ct) =>
        {
            var jobs = rows.Where(r => r.Job is not null).ToList();
            var positions = rows.Where(r => r.Position is not null).Select(r => (r.Position!, r.Write)).ToList();
            var inserted = await ReadIdsAsync(JobRows.InsertQueued(db, jobs.ConvertAll(r => r.Job!), jobs.ConvertAll(r => r.Write), positions), ct);
            if (inserted.Count > 0) signal.Notify(inserted.Count);
            return inserted;
        }, MaxRowsPerInsert, logger, "Inserting jobs",
            row => (row.Job?.EventJson?.Length ?? 0) + (row.Job?.ArgsJson?.Length ?? 0), MaxCharsPerInsert);
        _starts = new GroupCommit<(string Worker, long Ordinal)>(async (starts, ct) =>
        {
            await using var command = JobRows.MarkStarted(db, starts);
            await command.ExecuteNonQueryAsync(ct);
            return new HashSet<Guid>();
        }, MaxRunsPerCompletion, logger, "Recording started runs");
        _completions = new GroupCommit<FinishedRun>((runs, ct) => ReadIdsAsync(JobRows.CompleteRuns(db, runs), ct), MaxRunsPerCompletion, logger, "Completing jobs");
    }

    /// <summary>Inserts the jobs (existing ids are skipped) and moves the positions, together; returns the new ids.</summary>
    /// <exception cref="FencedWriteException">A position's epoch is no longer its partition's: nothing was stored.</exception>
    public async Task<IReadOnlySet<Guid>> InsertAsync(IReadOnlyList<JobRecord> jobs, IReadOnlyList<TriggerPosition> positions, CancellationToken ct)
    {
        var write = Guid.NewGuid();
        var rows = new List<InsertRow>(jobs.Count + positions.Count);
        rows.AddRange(jobs.Select(j => new InsertRow(j, null, write)));
        rows.AddRange(positions.Select(p => new InsertRow(null, p, write)));
        var inserted = await _inserts.SubmitAsync(rows, ct);
        if (inserted.Contains(write)) throw new FencedWriteException();
        return jobs.Select(j => j.Id).Where(inserted.Contains).ToHashSet();
    }

    /// <summary>Records a run's outcome as its job's final state if the claim still holds the job; returns whether it did.</summary>
    public async Task<bool> CompleteAsync(Guid id, JobClaim claim, JobOutcome outcome, CancellationToken ct) =>
        (await _completions.SubmitAsync([new FinishedRun(id, claim, outcome)], ct)).Contains(id);

    /// <summary>Records that the worker's slots took its claims up to <paramref name="ordinal"/>, merged with other slots'.</summary>
    public Task MarkStartedAsync(string workerId, long ordinal, CancellationToken ct) => _starts.SubmitAsync([(workerId, ordinal)], ct);

    private static async Task<IReadOnlySet<Guid>> ReadIdsAsync(NpgsqlCommand command, CancellationToken ct)
    {
        await using (command)
        {
            var ids = new HashSet<Guid>();
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) ids.Add(reader.GetGuid(0));
            return ids;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _inserts.DisposeAsync();
        await _completions.DisposeAsync();
        await _starts.DisposeAsync();
    }
}
