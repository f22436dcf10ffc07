using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Triggers.Validation;
using Triggers.Workspaces;

namespace Triggers.KafkaTriggers;

/// <summary>
/// Wakes every stored trigger when the silo starts, so consumers resume from their committed offsets at once
/// instead of at their reminder's next tick.
/// </summary>
public sealed class TriggerResumeService(IGrainFactory grains, ILogger<TriggerResumeService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            var resumed = 0;
            foreach (var workspace in await grains.GetGrain<IWorkspaceDirectoryGrain>(0).ListAsync())
            {
                var paths = await grains.GetGrain<IWorkspaceIndexGrain>(workspace).ListAsync(ItemKind.KafkaTrigger);
                await Task.WhenAll(paths.Select(p => grains.GetGrain<IKafkaTriggerGrain>(Names.ItemKey(workspace, p)).EnsureListeningAsync()));
                resumed += paths.Count;
            }
            if (resumed > 0) logger.LogInformation("Resumed {Count} kafka triggers", resumed);
        }
        catch (Exception e) when (!stoppingToken.IsCancellationRequested)
        {
            // Reminders still bring each trigger back within a minute.
            logger.LogWarning(e, "Resuming triggers at startup failed; their reminders will resume them");
        }
    }
}
