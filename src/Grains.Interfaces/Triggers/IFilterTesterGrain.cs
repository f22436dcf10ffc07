using System.Text.Json;

namespace Triggers.Triggers;

/// <summary>A dry run of trigger filters on sample messages, without a trigger (any silo answers).</summary>
[Alias("Triggers.IFilterTesterGrain")]
public interface IFilterTesterGrain : IGrainWithIntegerKey
{
    /// <summary>Whether each message would run. A message given as a JSON string is tested as that text (so a
    /// payload that is not JSON can be tried); any other JSON value as itself.</summary>
    Task<IReadOnlyList<bool>> TestAsync(IReadOnlyList<TriggerFilter>? filters, FilterLogic logic, IReadOnlyList<JsonElement> messages);
}
