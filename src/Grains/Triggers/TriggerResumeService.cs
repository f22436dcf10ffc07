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

    /// <summary>Wakes every trigger; a pass that fails (the database away, a silo that leaves as it is called) is tried
    /// again soon, with a growing pause, rather than left to the triggers' reminders a minute later.</summary>
    private async Task ResumeAllAsync(string reason, CancellationToken ct)
    {
        var pause = TimeSpan.FromSeconds(1);
        while (true)
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
                return;
            }
            catch (Exception e) when (!ct.IsCancellationRequested)
            {
                logger.LogWarning("Resuming triggers failed ({Reason}): {Error}; trying again in {Pause} s", reason, e.Message, pause.TotalSeconds);
                try { await Task.Delay(pause, ct); }
                catch (OperationCanceledException) { return; }
                pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, MaxPause.Ticks));
            }
        }
    }

    private static readonly TimeSpan MaxPause = TimeSpan.FromSeconds(30);
}
