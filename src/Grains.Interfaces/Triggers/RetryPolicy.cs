using System.Text.Json;

namespace Triggers.Triggers;

/// <summary>
/// How often to rerun a failed job, as Windmill's retry: the <see cref="Constant"/> reruns first, then the
/// <see cref="Exponential"/> ones (either may be left out); <see cref="RetryIf"/> may limit reruns to some errors.
/// </summary>
[GenerateSerializer, Alias("Triggers.RetryPolicy")]
public sealed record RetryPolicy
{
    [Id(0)] public ConstantRetry? Constant { get; init; }
    [Id(1)] public ExponentialRetry? Exponential { get; init; }
    [Id(2)] public RetryCondition? RetryIf { get; init; }

    /// <summary>
    /// The wait before rerun number <paramref name="rerun"/> (1 for the first rerun), or null when the policy
    /// allows no more. <paramref name="random"/> gives a number in [0, 1) for the exponential form's spread.
    /// </summary>
    public TimeSpan? DelayBeforeRerun(int rerun, Func<double> random)
    {
        var constantAttempts = Constant?.Attempts ?? 0;
        if (Constant is { } constant && rerun <= constantAttempts)
            return TimeSpan.FromSeconds(constant.Seconds);
        // The exponent counts every rerun so far, the constant ones included (as Windmill counts them).
        if (Exponential is { } exp && rerun - constantAttempts <= exp.Attempts)
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
        if (Constant is null && Exponential is null)
            throw new Validation.InvalidInputException(field, "Give {\"constant\": {attempts, seconds}}, {\"exponential\": {attempts, multiplier, seconds, random_factor}} or both (constant reruns come first).");
        if (Constant is { } c && (c.Attempts is < 0 or > 100 || c.Seconds < 0))
            throw new Validation.InvalidInputException($"{field}.constant", "attempts must be 0-100 and seconds at least 0.");
        if (Exponential is { } e && (e.Attempts is < 0 or > 100 || e.Multiplier <= 0 || e.Seconds < 1 || e.RandomFactor is < 0 or > 100))
            throw new Validation.InvalidInputException($"{field}.exponential", "attempts must be 0-100, multiplier above 0, seconds (the base) at least 1 and random_factor 0-100.");
        if ((Constant?.Attempts ?? 0) + (Exponential?.Attempts ?? 0) > 100)
            throw new Validation.InvalidInputException(field, "The constant and exponential attempts together must be at most 100.");
        if (RetryIf is { } condition && string.IsNullOrWhiteSpace(condition.Expr))
            throw new Validation.InvalidInputException($"{field}.retry_if", "retry_if needs an expr, e.g. \"error.name !== 'ValidationError'\".");
        // The last constant wait, and the last exponential one (the longest of that form), must be times a job can really be scheduled for.
        if (Constant is { } constant && constant.Seconds > MaxDelay.TotalSeconds) throw TooLong($"{field}.constant", constant.Seconds);
        if (Exponential is { Attempts: > 0 } exponential
            && exponential.Multiplier * Math.Pow(exponential.Seconds, (Constant?.Attempts ?? 0) + exponential.Attempts) is var longest
            && (double.IsNaN(longest) || longest > MaxDelay.TotalSeconds))
            throw TooLong($"{field}.exponential", longest);
    }

    private static Validation.InvalidInputException TooLong(string field, double seconds) => new(field,
        $"The longest wait between runs would be {(double.IsInfinity(seconds) ? "unbounded" : $"{seconds:0} s")}; keep it within {MaxDelay.TotalDays:0} days (fewer attempts or a smaller base).");
}

/// <summary>Reruns only when <see cref="Expr"/>, a JavaScript expression over <c>error</c> (name, message, stack) and
/// <c>result</c> (<c>{error}</c>), is true; e.g. <c>error.name !== "ValidationError"</c>.</summary>
[GenerateSerializer, Alias("Triggers.RetryCondition")]
public sealed record RetryCondition([property: Id(0)] string Expr);

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
