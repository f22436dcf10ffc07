using Microsoft.Extensions.Logging.Abstractions;
using Triggers.Jobs.Store;

namespace Triggers.Tests.Jobs;

/// <summary>Group commit merges concurrent writes, and a merged write that fails fails only the caller whose row broke it.</summary>
public sealed class GroupCommitTests
{
    [Fact]
    public async Task A_row_that_breaks_a_merged_write_fails_only_its_own_caller()
    {
        var gate = new TaskCompletionSource();
        var writing = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var groups = new List<int>();
        await using var commit = new GroupCommit<Guid>(async (rows, _) =>
        {
            writing.TrySetResult();
            await gate.Task; // hold the first write so that the rest arrive together
            lock (groups) groups.Add(rows.Count);
            if (rows.Contains(Guid.Empty)) throw new InvalidOperationException("a row the database refuses");
            return rows.ToHashSet();
        }, maxRows: 100, NullLogger.Instance, "Writing");

        var first = commit.SubmitAsync([Guid.NewGuid()], CancellationToken.None);
        await writing.Task; // the first write is under way alone before the others are submitted
        var rows = Enumerable.Range(0, 10).Select(n => n == 4 ? Guid.Empty : Guid.NewGuid()).ToList();
        var rest = rows.Select(row => Capture(commit.SubmitAsync([row], CancellationToken.None))).ToList();
        gate.SetResult();
        await first;
        var results = await Task.WhenAll(rest);

        Assert.IsType<InvalidOperationException>(results[4]);
        Assert.All(results.Where((_, n) => n != 4), Assert.Null);
        Assert.True(groups[0] >= 10 || groups[1] >= 10, $"the rows were first tried as one write ({string.Join(", ", groups)})");
    }

    [Fact]
    public async Task Large_rows_arriving_together_are_written_in_groups_within_the_weight_limit()
    {
        var gate = new TaskCompletionSource();
        var groups = new List<long>();
        await using var commit = new GroupCommit<int>(async (rows, _) =>
        {
            await gate.Task;
            lock (groups) groups.Add(rows.Sum());
            return new HashSet<Guid>();
        }, maxRows: 1000, NullLogger.Instance, "Writing", weigh: row => row, maxWeight: 100);

        // Ten callers of 40 each, and one of 150 (over the limit alone: written by itself, never refused).
        var writes = Enumerable.Range(0, 10).Select(_ => commit.SubmitAsync([40], CancellationToken.None))
            .Append(commit.SubmitAsync([150], CancellationToken.None)).ToList();
        gate.SetResult();
        await Task.WhenAll(writes);

        Assert.Equal(550, groups.Sum());
        Assert.All(groups.Where(g => g != 150), g => Assert.InRange(g, 40, 100));
        Assert.Contains(80, groups); // callers were merged, two at a time
    }

    [Fact]
    public async Task A_write_that_hangs_is_cancelled_at_its_limit_and_the_writes_after_it_go_through()
    {
        var calls = 0;
        var hanging = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var commit = new GroupCommit<Guid>(async (rows, ct) =>
        {
            // The first statement hangs (a lock held elsewhere, a half-open connection) until it is cancelled.
            if (Interlocked.Increment(ref calls) == 1)
            {
                hanging.SetResult();
                await Task.Delay(Timeout.Infinite, ct);
            }
            return rows.ToHashSet();
        }, maxRows: 100, NullLogger.Instance, "Writing", writeLimit: TimeSpan.FromMilliseconds(300));

        var hung = Capture(commit.SubmitAsync([Guid.NewGuid()], CancellationToken.None));
        await hanging.Task; // the next write is not merged into the hanging one: it waits behind it
        var next = Guid.NewGuid();
        var after = commit.SubmitAsync([next], CancellationToken.None);

        Assert.IsType<TimeoutException>(await hung);
        Assert.Contains(next, await after);
    }

    private static async Task<Exception?> Capture(Task task)
    {
        try { await task; return null; }
        catch (Exception e) { return e; }
    }
}
