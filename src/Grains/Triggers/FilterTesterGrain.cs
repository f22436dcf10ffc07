using System.Text;
using System.Text.Json;
using Orleans.Concurrency;
using Triggers.Validation;

namespace Triggers.Triggers;

[StatelessWorker]
public sealed class FilterTesterGrain : Grain, IFilterTesterGrain
{
    private const int MaxMessages = 1000;

    public Task<IReadOnlyList<bool>> TestAsync(IReadOnlyList<TriggerFilter>? filters, FilterLogic logic, IReadOnlyList<JsonElement> messages)
    {
        MessageFilter.Validate(filters);
        Limits.RequireCount(messages.Count, MaxMessages, "messages", "messages");
        var filter = new MessageFilter(filters, logic);
        IReadOnlyList<bool> runs = messages.Select(m => filter.Matches(Encoding.UTF8.GetBytes(
            m.ValueKind == JsonValueKind.String ? m.GetString()! : m.GetRawText()))).ToList();
        return Task.FromResult(runs);
    }
}
