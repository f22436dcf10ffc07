using System.Text.Json.Nodes;
using Triggers.Validation;

namespace Triggers.Triggers;

/// <summary>
/// A kind of trigger as the framework sees it. Registering one (<see cref="TriggerServiceExtensions.AddTriggerKind{TKind}"/>)
/// is all it takes for its triggers to be resumed at startup and after a silo leaves, and for its jobs to get the
/// trigger's retries, error handler and failure action.
/// </summary>
public interface ITriggerKind
{
    /// <summary>The <c>trigger_kind</c> of its jobs and the <c>kind</c> of its events, e.g. <c>kafka</c>.</summary>
    string Name { get; }

    /// <summary>The grain of one of its triggers.</summary>
    ITriggerGrain Grain(IGrainFactory grains, string workspaceId, string path);

    /// <summary>What <c>main</c> receives for one of its events when the runnable has no preprocessor.</summary>
    JsonObject MainArguments(JsonObject triggerEvent);
}

/// <summary>A kind whose triggers are grains implementing <typeparamref name="TGrain"/>.</summary>
public abstract class TriggerKind<TGrain>(string name) : ITriggerKind where TGrain : ITriggerGrain
{
    public string Name => name;

    public ITriggerGrain Grain(IGrainFactory grains, string workspaceId, string path) => grains.GetGrain<TGrain>(Names.ItemKey(workspaceId, path));

    public abstract JsonObject MainArguments(JsonObject triggerEvent);
}
