using System.Threading.Channels;

namespace Triggers.Jobs.Execution;

/// <summary>
/// Claimed jobs waiting for a worker slot. It aims to hold what the slots take during about four claim round trips,
/// at least one job per slot and at most <see cref="MaxPerSlot"/>: fast jobs (dedicated workers) are claimed in
/// batches, while slow ones are not hoarded away from other silos' idle slots.
/// </summary>
internal sealed class ReadyJobs(int slots)
{
    private const int MaxPerSlot = 16;

    private readonly Channel<JobRecord> _jobs = Channel.CreateBounded<JobRecord>(new BoundedChannelOptions(slots * MaxPerSlot) { SingleWriter = true });
    private readonly SemaphoreSlim _taken = new(0);
    private int _takenSinceClaim;

    /// <summary>How many jobs to claim now; waits while the buffer holds enough for the slots' pace.</summary>
    public async Task<int> WantAsync(CancellationToken ct)
    {
        while (true)
        {
            var target = Math.Clamp(4 * Volatile.Read(ref _takenSinceClaim), slots, slots * MaxPerSlot);
            var want = target - _jobs.Reader.Count;
            if (want > 0)
            {
                Interlocked.Exchange(ref _takenSinceClaim, 0);
                return want;
            }
            await _taken.WaitAsync(ct);
        }
    }

    public ValueTask AddAsync(JobRecord job, CancellationToken ct) => _jobs.Writer.WriteAsync(job, ct);

    public async ValueTask<JobRecord> TakeAsync(CancellationToken ct)
    {
        var job = await _jobs.Reader.ReadAsync(ct);
        Interlocked.Increment(ref _takenSinceClaim);
        _taken.Release();
        return job;
    }

    /// <summary>Stops taking jobs and returns the ones no slot started.</summary>
    public List<JobRecord> Close()
    {
        _jobs.Writer.TryComplete();
        var unstarted = new List<JobRecord>();
        while (_jobs.Reader.TryRead(out var job)) unstarted.Add(job);
        return unstarted;
    }
}
