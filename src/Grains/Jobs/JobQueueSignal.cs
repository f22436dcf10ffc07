namespace Triggers.Jobs;

/// <summary>Wakes idle workers of this silo when jobs are queued here, so they don't wait for their next poll.</summary>
public sealed class JobQueueSignal
{
    private readonly SemaphoreSlim _available = new(0, int.MaxValue);

    public void Notify(int jobs)
    {
        // Never release more than the number of waiters could use; the count only has to wake them.
        var release = Math.Min(jobs, 64 - _available.CurrentCount);
        if (release > 0) _available.Release(release);
    }

    public Task<bool> WaitAsync(TimeSpan timeout, CancellationToken ct) => _available.WaitAsync(timeout, ct);
}
