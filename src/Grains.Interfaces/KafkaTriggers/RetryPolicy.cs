using System.Text.Json;

namespace Triggers.KafkaTriggers;

/// <summary>How often to rerun a failed job; exactly one of the two forms is set.</summary>
[GenerateSerializer, Alias("Triggers.RetryPolicy")]
public sealed record RetryPolicy
{
    [Id(0)] public ConstantRetry? Constant { get; init; }
    [Id(1)] public ExponentialRetry? Exponential { get; init; }
}

/// <summary><see cref="Attempts"/> reruns after the first run, <see cref="Seconds"/> apart.</summary>
[GenerateSerializer, Alias("Triggers.ConstantRetry")]
public sealed record ConstantRetry([property: Id(0)] int Attempts, [property: Id(1)] double Seconds);

/// <summary>Rerun n waits <c>Seconds * Multiplier^n</c>, spread by up to <see cref="RandomFactor"/> percent.</summary>
[GenerateSerializer, Alias("Triggers.ExponentialRetry")]
public sealed record ExponentialRetry(
    [property: Id(0)] int Attempts,
    [property: Id(1)] double Multiplier,
    [property: Id(2)] double Seconds,
    [property: Id(3)] int RandomFactor);

/// <summary>A message runs only if its JSON value holds <see cref="Key"/> with a matching <see cref="Value"/>.</summary>
[GenerateSerializer, Alias("Triggers.TriggerFilter")]
public sealed record TriggerFilter([property: Id(0)] string Key, [property: Id(1)] JsonElement Value);
