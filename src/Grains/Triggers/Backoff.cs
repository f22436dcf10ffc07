namespace Triggers.Triggers;

/// <summary>A wait that doubles after each failure, from <paramref name="Min"/> up to <paramref name="Max"/>.</summary>
public sealed record Backoff(TimeSpan Min, TimeSpan Max)
{
    public TimeSpan Next(TimeSpan current) => TimeSpan.FromTicks(Math.Min(current.Ticks * 2, Max.Ticks));
}
