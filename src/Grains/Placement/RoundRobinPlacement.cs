using Orleans.Placement;
using Orleans.Runtime.Placement;

namespace Triggers.Placement;

/// <summary>
/// Places new activations on the compatible silos in turn. Kafka triggers are few and long-lived, and they
/// are often created or moved in bursts (an import, a lost silo), when load statistics are seconds old; taking
/// turns spreads such a burst evenly, and a silo that joins gets its turn at once.
/// </summary>
[GenerateSerializer, Alias("Triggers.RoundRobinPlacement"), Immutable]
public sealed class RoundRobinPlacement : PlacementStrategy;

[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class RoundRobinPlacementAttribute() : PlacementAttribute(new RoundRobinPlacement());

public sealed class RoundRobinPlacementDirector : IPlacementDirector
{
    private int _next = Random.Shared.Next(); // silos start at different points, so they do not all pick the same one

    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        var silos = context.GetCompatibleSilos(target).OrderBy(s => s.ToString(), StringComparer.Ordinal).ToArray();
        if (silos.Length == 0) throw new OrleansException($"No silo can host {target.GrainIdentity}.");
        var turn = (uint)Interlocked.Increment(ref _next) % (uint)silos.Length;
        return Task.FromResult(silos[turn]);
    }
}
