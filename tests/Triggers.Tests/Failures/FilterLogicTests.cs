using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Triggers.Tests.EndToEnd;
using Triggers.Tests.Infrastructure;
using Triggers.Triggers;
using Triggers.Validation;

namespace Triggers.Tests.Failures;

/// <summary>Windmill's filter shape: dotted paths, nested any_of/all_of/none_of groups, arrays that contain, and/or.</summary>
[Collection(EmbeddedSiloCollection.Name)]
public sealed class FilterLogicTests(EmbeddedSiloFixture fixture)
{
    // The API's naming: any_of, all_of, none_of.
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private static MessageFilter Filter(string filters, FilterLogic logic = FilterLogic.And) =>
        new(JsonSerializer.Deserialize<List<TriggerFilter>>(filters, Json), logic);

    private static bool Runs(MessageFilter filter, string message) => filter.Matches(Encoding.UTF8.GetBytes(message));

    [Theory]
    // a path through nested objects, never into arrays
    [InlineData("""[{"path": "data.status", "value": "paid"}]""", """{"data": {"status": "paid", "n": 1}}""", true)]
    [InlineData("""[{"path": "data.status", "value": "paid"}]""", """{"data": [{"status": "paid"}]}""", false)]
    [InlineData("""[{"key": "data.status", "value": "paid"}]""", """{"data.status": "paid"}""", true)]
    // arrays match when they contain each of the filter's items, in any order
    [InlineData("""[{"key": "tags", "value": ["b", "a"]}]""", """{"tags": ["a", "b", "c"]}""", true)]
    [InlineData("""[{"key": "tags", "value": ["d"]}]""", """{"tags": ["a", "b", "c"]}""", false)]
    [InlineData("""[{"key": "items", "value": [{"sku": "x"}]}]""", """{"items": [{"sku": "y"}, {"sku": "x", "qty": 2}]}""", true)]
    // groups nest
    [InlineData("""[{"key": "event", "value": "created"}, {"any_of": [{"key": "a", "value": 1}, {"path": "b.c", "value": 2}]}]""", """{"event": "created", "b": {"c": 2}}""", true)]
    [InlineData("""[{"key": "event", "value": "created"}, {"any_of": [{"key": "a", "value": 1}, {"path": "b.c", "value": 2}]}]""", """{"event": "created", "b": {"c": 3}}""", false)]
    [InlineData("""[{"all_of": [{"key": "a", "value": 1}, {"none_of": [{"key": "b", "value": 2}]}]}]""", """{"a": 1, "b": 3}""", true)]
    [InlineData("""[{"all_of": [{"key": "a", "value": 1}, {"none_of": [{"key": "b", "value": 2}]}]}]""", """{"a": 1, "b": 2}""", false)]
    [InlineData("""[{"none_of": [{"key": "missing", "value": 1}]}]""", """{"a": 1}""", true)]
    // an empty group is ignored rather than deciding alone
    [InlineData("""[{"key": "a", "value": 1}, {"any_of": []}]""", """{"a": 1}""", true)]
    public void Criteria_paths_groups_and_arrays_decide_which_messages_run(string filters, string message, bool runs) =>
        Assert.Equal(runs, Runs(Filter(filters), message));

    [Fact]
    public void With_or_logic_any_top_level_filter_is_enough()
    {
        const string filters = """[{"key": "a", "value": 1}, {"key": "b", "value": 99}]""";
        Assert.False(Runs(Filter(filters), """{"a": 1, "b": 2}"""));
        Assert.True(Runs(Filter(filters, FilterLogic.Or), """{"a": 1, "b": 2}"""));
    }

    [Theory]
    [InlineData("""[{"key": "a", "path": "b", "value": 1}]""", "filters[0]")]
    [InlineData("""[{"path": "a..b", "value": 1}]""", "filters[0]")]
    [InlineData("""[{"any_of": [{"key": "a", "value": 1}], "all_of": []}]""", "filters[0]")]
    [InlineData("""[{"any_of": [{"key": "a"}]}]""", "filters[0].any_of[0]")]
    [InlineData("""[{"all_of": [{"none_of": [null]}]}]""", "filters[0].all_of[0].none_of[0]")]
    public void A_filter_that_could_never_be_evaluated_is_refused_naming_its_place(string filters, string field)
    {
        var error = Assert.Throws<InvalidInputException>(() =>
            MessageFilter.Validate(JsonSerializer.Deserialize<List<TriggerFilter?>>(filters, Json)));
        Assert.Equal(field, error.Field);
    }

    [Fact]
    public async Task A_trigger_with_or_logic_and_a_nested_group_runs_the_messages_that_satisfy_them()
    {
        var s = await TriggerScenario.CreateAsync(fixture.Api, fixture.Kafka);
        await s.CreateScriptAsync("u/test/echo", "bun", "export async function main(payload: string) { return JSON.parse(atob(payload)).id; }");
        await s.CreateTriggerAsync("u/test/echo", new
        {
            filter_logic = "or",
            filters = new object[]
            {
                new { path = "order.status", value = "paid" },
                new { all_of = new object[] { new { key = "tags", value = new[] { "vip" } }, new { none_of = new object[] { new { key = "test", value = true } } } } },
            },
        });
        var trigger = await s.Api.GetTriggerAsync(s.Ws, TriggerScenario.Trigger);
        Assert.Equal("or", (string?)trigger["filter_logic"]);

        await s.ProduceAsync(
            """{"id": 1, "order": {"status": "paid"}}""",
            """{"id": 2, "order": {"status": "open"}, "tags": ["vip", "eu"]}""",
            """{"id": 3, "order": {"status": "open"}, "tags": ["vip"], "test": true}""",
            """{"id": 4, "order": {"status": "open"}, "tags": ["eu"]}""");

        await Eventually.WaitAsync(() => s.Api.GetTriggerAsync(s.Ws, TriggerScenario.Trigger),
            t => (long)t["status"]!["messages_received"]! == 4, TimeSpan.FromSeconds(30), "all 4 messages to be read");
        var jobs = await s.Api.WaitForFinishedJobsAsync(s.Ws, TriggerScenario.Trigger, 2);
        Assert.Equal([1, 2], jobs.Select(j => (int)j["result"]!).Order());
    }

    [Fact]
    public async Task A_filter_dry_run_says_which_sample_messages_would_run()
    {
        var s = await TriggerScenario.CreateAsync(fixture.Api, fixture.Kafka);
        using var response = await s.Api.Http.PostAsJsonAsync($"/api/w/{s.Ws}/kafka_triggers/test_filters", new
        {
            filters = new object[] { new { path = "order.status", value = "paid" }, new { key = "tags", value = new[] { "vip" } } },
            filter_logic = "or",
            messages = new object[]
            {
                new { order = new { status = "paid" } }, new { tags = new[] { "eu", "vip" } }, new { order = new { status = "open" } },
                "not json", """{"order": {"status": "paid"}}""",
            },
        });
        response.EnsureSuccessStatusCode();
        var answer = (await response.Content.ReadFromJsonAsync<System.Text.Json.Nodes.JsonObject>())!;
        Assert.Equal([true, true, false, false, true], answer["runs"]!.AsArray().Select(r => (bool)r!));
        Assert.Equal(3, (int)answer["matched"]!);

        using var bad = await s.Api.Http.PostAsJsonAsync($"/api/w/{s.Ws}/kafka_triggers/test_filters", new
        {
            filters = new object[] { new { any_of = new object[] { new { key = "a" } } } }, messages = new[] { new { a = 1 } },
        });
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal("filters[0].any_of[0]", (string?)(await bad.Content.ReadFromJsonAsync<System.Text.Json.Nodes.JsonObject>())!["field"]);
    }
}
