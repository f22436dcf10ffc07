using Triggers.Jobs;

namespace Triggers.Tests.Jobs;

/// <summary>Job ids of trigger events: the same event always gets the same id, and a partition's ids are in offset order.</summary>
public sealed class JobIdTests
{
    [Fact]
    public void Ordered_ids_are_deterministic_and_follow_the_position_within_their_group()
    {
        var orders = JobIds.GroupPrefix("kafka\nws\nt\ng\norders\n0");
        var ids = Enumerable.Range(0, 1_000).Select(offset => JobIds.Ordered(orders, offset, $"orders/0/{offset}")).ToList();

        Assert.Equal(ids, Enumerable.Range(0, 1_000).Select(offset => JobIds.Ordered(orders, offset, $"orders/0/{offset}")));
        Assert.Equal(ids, ids.Order(Comparer<Guid>.Create((a, b) => string.CompareOrdinal(a.ToString(), b.ToString()))));
        Assert.Equal(1_000, ids.Distinct().Count());
        Assert.All(ids, id => Assert.Equal(8, id.Version));
    }

    [Fact]
    public void Ordered_ids_of_different_names_at_the_same_position_differ()
    {
        var prefix = JobIds.GroupPrefix("kafka\nws\nt\ng\norders\n0");
        Assert.NotEqual(JobIds.Ordered(prefix, 7, "batch 7-9"), JobIds.Ordered(prefix, 7, "batch 7-12"));
        Assert.NotEqual(JobIds.Ordered(prefix, 7, "x"), JobIds.Ordered(JobIds.GroupPrefix("kafka\nws\nt\ng\norders\n1"), 7, "x"));
    }
}
