using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace Triggers.Jobs.Store;

/// <summary>
/// Group commit: writes that arrive while one is in flight are merged into the next, so a burst costs a few round
/// trips instead of one per caller. A merged write that fails is retried caller by caller, so one bad row (say, text
/// PostgreSQL refuses) fails only its own caller. A write that takes longer than its limit is cancelled and fails its
/// callers at once (each retries as it sees fit): one slow statement must not hold up every trigger and worker slot of
/// the silo behind it.
/// </summary>
internal sealed class GroupCommit<TRow> : IAsyncDisposable
{
    private sealed record Pending(IReadOnlyList<TRow> Rows, TaskCompletionSource<IReadOnlySet<Guid>> Done);

    /// <summary>How long one write may take by default.</summary>
    public static readonly TimeSpan DefaultWriteLimit = TimeSpan.FromSeconds(20);

    private readonly Func<IReadOnlyList<TRow>, CancellationToken, Task<IReadOnlySet<Guid>>> _write;
    private readonly TimeSpan _writeLimit;
    private readonly int _maxRows;
    private readonly Func<TRow, long>? _weigh;
    private readonly long _maxWeight;
    private readonly ILogger _logger;
    private readonly string _what;
    private readonly Channel<Pending> _pending = Channel.CreateUnbounded<Pending>(new() { SingleReader = true });
    private readonly Task _loop;

    /// <param name="write">Writes a group of rows in one statement and returns the ids it wrote; cancelled past
    /// <paramref name="writeLimit"/> (<see cref="DefaultWriteLimit"/> when not given).</param>
    /// <param name="weigh">A row's size (say, its bytes): a group stops growing at <paramref name="maxWeight"/>, so that
    /// large rows arriving together are written in several statements rather than one too large to send.</param>
    public GroupCommit(Func<IReadOnlyList<TRow>, CancellationToken, Task<IReadOnlySet<Guid>>> write, int maxRows, ILogger logger, string what,
        Func<TRow, long>? weigh = null, long maxWeight = long.MaxValue, TimeSpan? writeLimit = null)
    {
        _write = write;
        _writeLimit = writeLimit ?? DefaultWriteLimit;
        _maxRows = maxRows;
        _weigh = weigh;
        _maxWeight = maxWeight;
        _logger = logger;
        _what = what;
        // Made on first use, maybe inside an API request: the loop must not carry that request's context for good.
        using (ExecutionContext.SuppressFlow()) _loop = Task.Run(LoopAsync);
    }

    /// <summary>Writes the rows, merged with whatever else is waiting; returns the ids the write touched (of every row in the group).</summary>
    public Task<IReadOnlySet<Guid>> SubmitAsync(IReadOnlyList<TRow> rows, CancellationToken ct)
    {
        var done = new TaskCompletionSource<IReadOnlySet<Guid>>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_pending.Writer.TryWrite(new Pending(rows, done)))
            done.SetException(new ObjectDisposedException(_what));
        return done.Task.WaitAsync(ct);
    }

    private async Task LoopAsync()
    {
        var group = new List<Pending>();
        while (await _pending.Reader.WaitToReadAsync())
        {
            group.Clear();
            var (rows, weight) = (0, 0L);
            // Always one caller at least, however large its rows: only merging is bounded.
            while (rows < _maxRows && _pending.Reader.TryPeek(out var next))
            {
                var nextWeight = Weight(next);
                if (group.Count > 0 && weight + nextWeight > _maxWeight) break;
                _pending.Reader.TryRead(out _);
                group.Add(next);
                rows += next.Rows.Count;
                weight += nextWeight;
            }
            await WriteAsync(group, rows);
        }
    }

    private long Weight(Pending pending)
    {
        if (_weigh is null) return 0;
        var weight = 0L;
        foreach (var row in pending.Rows) weight += _weigh(row);
        return weight;
    }

    private async Task WriteAsync(List<Pending> group, int rows)
    {
        using var limit = new CancellationTokenSource(_writeLimit);
        try
        {
            var written = await _write(group.Count == 1 ? group[0].Rows : group.SelectMany(p => p.Rows).ToList(), limit.Token);
            foreach (var pending in group) pending.Done.TrySetResult(written);
        }
        catch (Exception e) when (limit.IsCancellationRequested)
        {
            _logger.LogWarning("{What} of {Rows} rows took over {Limit} s and was cancelled ({Error})", _what, rows, _writeLimit.TotalSeconds, e.Message);
            var timedOut = new TimeoutException($"{_what} took over {_writeLimit.TotalSeconds:0} s and was cancelled.", e);
            foreach (var pending in group) pending.Done.TrySetException(timedOut);
        }
        catch (Exception e) when (group.Count > 1)
        {
            _logger.LogDebug("{What} of {Rows} rows failed ({Error}); writing them caller by caller", _what, rows, e.Message);
            foreach (var pending in group) await WriteAsync([pending], pending.Rows.Count);
        }
        catch (Exception e)
        {
            _logger.LogWarning(e, "{What} of {Rows} rows failed", _what, rows);
            group[0].Done.TrySetException(e);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _pending.Writer.TryComplete();
        await _loop;
    }
}
