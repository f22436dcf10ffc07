using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime;
using Triggers.Jobs.Store;

namespace Triggers.Jobs.Execution;

/// <summary>
/// When the cluster declares a silo dead, puts the jobs its workers were running back in the queue at once,
/// rather than when their claims expire.
/// </summary>
public sealed class DeadWorkerRecovery(
    IClusterMembershipService membership, IJobStore store, IOptions<WorkerOptions> options, ILogger<DeadWorkerRecovery> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.Value.Id is not null) return; // a configured id is not tied to the silo's address
        var handled = new HashSet<SiloAddress>();
        try
        {
            await foreach (var snapshot in membership.MembershipUpdates.WithCancellation(stoppingToken))
                foreach (var dead in snapshot.Members.Values.Where(m => m.Status == SiloStatus.Dead && handled.Add(m.SiloAddress)))
                {
                    try
                    {
                        var requeued = await store.RequeueClaimedByAsync(WorkerIds.Of(dead.SiloAddress, options.Value), stoppingToken);
                        if (requeued > 0) logger.LogInformation("Requeued {Count} jobs that dead silo {Silo} was running", requeued, dead.SiloAddress);
                    }
                    catch (Exception e) when (!stoppingToken.IsCancellationRequested)
                    {
                        logger.LogWarning("Could not requeue the jobs of dead silo {Silo} ({Error}); their claims expire on their own", dead.SiloAddress, e.Message);
                    }
                }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { }
    }
}
