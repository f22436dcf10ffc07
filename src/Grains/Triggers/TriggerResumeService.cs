using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;
using Triggers.Workspaces;

namespace Triggers.Triggers;

/// <summary>
/// Brings every stored trigger back to listening: when this silo starts, and whenever another silo leaves the
/// cluster (stopped or dead), so the triggers it ran reactivate on a survivor within seconds instead of at their
/// reminder's next tick. Waking a trigger that already listens costs one grain call.
/// </summary>
public sealed class TriggerResumeService(TriggerKinds kinds, IGrainFactory grains, IClusterMembershipService membership, ILogger<TriggerResumeService> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await ResumeAllAsync("this silo started", stoppingToken);
        var known = new Dictionary<SiloAddress, SiloStatus>();
        try
        {
            await foreach (var snapshot in membership.MembershipUpdates.WithCancellation(stoppingToken))
            {
                // A stopping silo's triggers move once it has let them go; its later "dead" update runs another pass.
                var leaving = snapshot.Members.Values
                    .Where(m => m.Status is SiloStatus.ShuttingDown or SiloStatus.Stopping or SiloStatus.Dead
                                && known.GetValueOrDefault(m.SiloAddress) != m.Status)
                    .Select(m => $"{m.SiloAddress} is {m.Status}")
                    .ToList();
                foreach (var member in snapshot.Members.Values) known[member.SiloAddress] = member.Status;
                if (leaving.Count > 0) await ResumeAllAsync(string.Join(", ", leaving), stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { }
    }

    private async Task ResumeAllAsync(string reason, CancellationToken ct)
    {
        try
        {
            var resumed = 0;
            foreach (var workspace in await grains.GetGrain<IWorkspaceDirectoryGrain>(0).ListAsync())
            {
                ct.ThrowIfCancellationRequested();
                foreach (var kind in kinds.All)
                {
                    var paths = await grains.GetGrain<IWorkspaceIndexGrain>(workspace).ListAsync(ItemKinds.Trigger(kind.Name));
                    await Task.WhenAll(paths.Select(path => kind.Grain(grains, workspace, path).EnsureListeningAsync()));
                    resumed += paths.Count;
                }
            }
            if (resumed > 0) logger.LogInformation("Checked {Count} triggers are listening ({Reason})", resumed, reason);
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            // Reminders still bring each trigger back within a minute.
            logger.LogWarning(e, "Resuming triggers failed ({Reason}); their reminders will resume them", reason);
        }
    }
}
