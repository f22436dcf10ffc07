using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Triggers.Jobs.Store;

/// <summary>How long finished jobs are kept (configuration section <c>Jobs</c>).</summary>
public sealed class JobRetentionOptions
{
    public const string Section = "Jobs";

    /// <summary>Finished jobs (success or failure) older than this many days are removed; 0 keeps them forever.</summary>
    public int RetentionDays { get; set; } = 30;

    /// <summary>How often each silo looks for jobs to remove.</summary>
    public int RetentionSweepMinutes { get; set; } = 10;
}

/// <summary>
/// Removes finished jobs past <see cref="JobRetentionOptions.RetentionDays"/>, a small chunk per statement, so no
/// statement holds locks for long and the space freed is reused by new jobs (autovacuum) instead of the table
/// growing forever. Queued and running jobs are never touched. Every silo sweeps; chunks skip rows another silo holds.
/// </summary>
public sealed class JobRetention(IJobStore store, IOptions<JobRetentionOptions> options, TimeProvider clock, ILogger<JobRetention> logger) : BackgroundService
{
    public const int ChunkSize = 5_000;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        if (settings.RetentionDays <= 0) return;
        using var timer = new PeriodicTimer(TimeSpan.FromMinutes(Math.Max(1, settings.RetentionSweepMinutes)), clock);
        do
        {
            try
            {
                await SweepAsync(clock.GetUtcNow().AddDays(-settings.RetentionDays), stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning("Removing old finished jobs failed ({Error}); trying again at the next sweep", e.Message);
            }
        } while (await WaitAsync(timer, stoppingToken));
    }

    /// <summary>Removes every finished job completed before <paramref name="cutoff"/>; returns how many.</summary>
    public async Task<long> SweepAsync(DateTimeOffset cutoff, CancellationToken ct)
    {
        long removed = 0;
        int chunk;
        do
        {
            chunk = await store.DeleteFinishedAsync(cutoff, ChunkSize, ct);
            removed += chunk;
        } while (chunk == ChunkSize && !ct.IsCancellationRequested);
        if (removed > 0) logger.LogInformation("Removed {Count} jobs finished before {Cutoff:u}", removed, cutoff);
        return removed;
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken ct)
    {
        try { return await timer.WaitForNextTickAsync(ct); }
        catch (OperationCanceledException) { return false; }
    }
}
