using Triggers.Tests.EndToEnd;
using Triggers.Tests.Infrastructure;

namespace Triggers.Tests.Failures;

/// <summary>Filters decide which messages run; the rest are committed and counted, never lost track of.</summary>
[Collection(EmbeddedSiloCollection.Name)]
public sealed class FilterTests(EmbeddedSiloFixture fixture)
{
    [Fact]
    public async Task Only_json_objects_containing_every_filter_run_and_the_rest_are_committed_and_counted()
    {
        var s = await TriggerScenario.CreateAsync(fixture.Api, fixture.Kafka);
        await s.CreateScriptAsync("u/test/echo", "bun", "export async function main(payload: string) { return JSON.parse(atob(payload)).id; }");
        await s.CreateTriggerAsync("u/test/echo", new
        {
            filters = new object[] { new { key = "type", value = "order" }, new { key = "meta", value = new { region = "eu" } } },
        });

        await s.ProduceAsync(
            """{"id": 1, "type": "order", "meta": {"region": "eu"}}""",
            """{"id": 2, "type": "refund", "meta": {"region": "eu"}}""",
            """{"id": 3, "type": "order", "meta": {"region": "eu", "zone": "b"}, "extra": true}""",
            """{"id": 4, "type": "order", "meta": {"region": "us"}}""",
            "not json at all",
            """["type", "order"]""",
            """{"id": 5, "type": "order"}""");

        var trigger = await Eventually.WaitAsync(() => s.Api.GetTriggerAsync(s.Ws, TriggerScenario.Trigger),
            // Counted when their jobs are stored, committed a broker round trip later: wait for both.
            t => (long)t["status"]!["messages_received"]! == 7 && (long?)t["status"]!["partitions"]![0]!["committed_offset"] == 7,
            TimeSpan.FromSeconds(30), "all 7 messages to be read and committed");
        Assert.Equal(5, (long)trigger["status"]!["messages_filtered"]!);
        Assert.Equal(2, (long)trigger["status"]!["jobs_created"]!);
        Assert.Equal(7, (long)trigger["status"]!["partitions"]![0]!["committed_offset"]!);

        var jobs = await s.Api.WaitForFinishedJobsAsync(s.Ws, TriggerScenario.Trigger, 2);
        Assert.Equal([1, 3], jobs.Select(j => (int)j["result"]!).Order());
    }
}
