using System.Text.Json;

namespace Triggers.Triggers;

/// <summary>How often to rerun a failed job; exactly one of the two forms is set.</summary>
[GenerateSerializer, Alias("Triggers.RetryPolicy")]
public sealed record RetryPolicy
{
    [Id(0)] public ConstantRetry? Constant { get; init; }
    [Id(1)] public ExponentialRetry? Exponential { get; init; }

    /// <summary>
    /// The wait before rerun number <paramref name="rerun"/> (1 for the first rerun), or null when the policy
    /// allows no more. <paramref name="random"/> gives a number in [0, 1) for the exponential form's spread.
    /// </summary>
    public TimeSpan? DelayBeforeRerun(int rerun, Func<double> random)
    {
        if (Constant is { } constant)
            return rerun <= constant.Attempts ? TimeSpan.FromSeconds(constant.Seconds) : null;
        if (Exponential is { } exp && rerun <= exp.Attempts)
        {
            var seconds = exp.Multiplier * Math.Pow(exp.Seconds, rerun);
            var spread = seconds * exp.RandomFactor / 100.0 * (2 * random() - 1);
            return TimeSpan.FromSeconds(Math.Max(0, seconds + spread));
        }
        return null;
    }

    /// <summary>The longest wait between two runs a policy may ask for.</summary>
    public static readonly TimeSpan MaxDelay = TimeSpan.FromDays(7);

    public void Validate(string field = "retry")
    {
        if ((Constant is null) == (Exponential is null))
            throw new Validation.InvalidInputException(field, "Give exactly one of {\"constant\": {attempts, seconds}} or {\"exponential\": {attempts, multiplier, seconds, random_factor}}.");
        if (Constant is { } c && (c.Attempts is < 0 or > 100 || c.Seconds < 0))
            throw new Validation.InvalidInputException($"{field}.constant", "attempts must be 0-100 and seconds at least 0.");
        if (Exponential is { } e && (e.Attempts is < 0 or > 100 || e.Multiplier <= 0 || e.Seconds < 1 || e.RandomFactor is < 0 or > 100))
            throw new Validation.InvalidInputException($"{field}.exponential", "attempts must be 0-100, multiplier above 0, seconds (the base) at least 1 and random_factor 0-100.");
        // The last rerun's wait is the longest: it must be a time a job can really be scheduled for.
        var longest = Constant is { } constant ? constant.Seconds : Exponential!.Multiplier * Math.Pow(Exponential.Seconds, Exponential.Attempts);
        if (double.IsNaN(longest) || longest > MaxDelay.TotalSeconds)
            throw new Validation.InvalidInputException($"{field}.{(Constant is null ? "exponential" : "constant")}",
                $"The longest wait between runs would be {(double.IsInfinity(longest) ? "unbounded" : $"{longest:0} s")}; keep it within {MaxDelay.TotalDays:0} days (fewer attempts or a smaller base).");
    }
}

/// <summary><see cref="Attempts"/> reruns after the first run, <see cref="Seconds"/> apart.</summary>
[GenerateSerializer, Alias("Triggers.ConstantRetry")]
public sealed record ConstantRetry([property: Id(0)] int Attempts, [property: Id(1)] double Seconds);

/// <summary>Rerun n waits <c>Multiplier * Seconds^n</c> seconds, spread by up to <see cref="RandomFactor"/> percent
/// either way (so that many failing jobs do not all come back at once).</summary>
[GenerateSerializer, Alias("Triggers.ExponentialRetry")]
public sealed record ExponentialRetry(
    [property: Id(0)] int Attempts,
    [property: Id(1)] double Multiplier,
    [property: Id(2)] double Seconds,
    [property: Id(3)] int RandomFactor);
