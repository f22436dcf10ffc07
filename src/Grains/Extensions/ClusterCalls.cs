using Orleans.Runtime;

namespace Triggers.Extensions;

/// <summary>
/// Retries a grain call that failed because a silo just left: the grain comes back on a survivor within
/// seconds, so a worker that already ran a job should not lose its outcome to that window.
/// </summary>
public static class ClusterCalls
{
    private static readonly TimeSpan FirstDelay = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan LongestDelay = TimeSpan.FromSeconds(2);
    private const int Attempts = 8;

    public static async Task<T> RetryAsync<T>(Func<Task<T>> call, CancellationToken ct = default)
    {
        var delay = FirstDelay;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await call();
            }
            catch (Exception e) when (IsTransient(e) && attempt < Attempts && !ct.IsCancellationRequested)
            {
                await Task.Delay(delay, ct);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, LongestDelay.Ticks));
            }
        }
    }

    public static Task RetryAsync(Func<Task> call, CancellationToken ct = default) =>
        RetryAsync(async () => { await call(); return true; }, ct);

    public static bool IsTransient(Exception e) => e is SiloUnavailableException or OrleansMessageRejectionException or TimeoutException;
}
