using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime;
using Triggers.Jobs.Store;

namespace Triggers.Jobs.Execution;

/// <summary>
/// Puts the jobs of silos the cluster declared dead back in the queue at once, rather than when their claims expire:
/// when the membership changes, and again every <see cref="SweepInterval"/> for every silo the membership table holds
/// as dead, which catches claims a silo made after it was declared dead (frozen, then woken for a moment) and
/// requeues that failed (the database was away). Every silo does it; it changes nothing when there is nothing to do.
/// </summary>
public sealed class DeadWorkerRecovery(
    IClusterMembershipService membership, IJobStore store, IOptions<WorkerOptions> options, ILogger<DeadWorkerRecovery> logger) : BackgroundService
{
    internal static readonly TimeSpan SweepInterval = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan RetryInterval = TimeSpan.FromSeconds(2);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.Value.Id is not null) return; // a configured id is not tied to the silo's address
        await using var updates = membership.MembershipUpdates.GetAsyncEnumerator(stoppingToken);
        var changed = updates.MoveNextAsync().AsTask();
        var wait = TimeSpan.Zero;
        try
        {
            while (true)
            {
                if (await Task.WhenAny(changed, Task.Delay(wait, stoppingToken)) == changed)
                {
                    if (!await changed) return;
                    changed = updates.MoveNextAsync().AsTask();
                }
                stoppingToken.ThrowIfCancellationRequested();
                wait = await RequeueDeadAsync(stoppingToken) ? SweepInterval : RetryInterval;
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { }
    }

    /// <returns>False when the store could not be reached: tried again soon.</returns>
    private async Task<bool> RequeueDeadAsync(CancellationToken ct)
    {
        var dead = membership.CurrentSnapshot.Members.Values.Where(m => m.Status == SiloStatus.Dead)
            .Select(m => WorkerIds.Of(m.SiloAddress, options.Value)).ToList();
        if (dead.Count == 0) return true;
        try
        {
            var requeued = await store.RequeueClaimedByAsync(dead, ct);
            if (requeued > 0) logger.LogInformation("Requeued {Count} jobs that dead silos were running", requeued);
            return true;
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            logger.LogWarning("Could not requeue the jobs of dead silos ({Error}); trying again in {Seconds} s", e.Message, RetryInterval.TotalSeconds);
            return false;
        }
    }
}
