using System.Globalization;
using Triggers.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Triggers.Tests.EndToEnd;

/// <summary>The Prometheus endpoint exposes per-trigger metrics from real traffic.</summary>
[Collection(EmbeddedSiloCollection.Name)]
public sealed class MetricsTests(EmbeddedSiloFixture fixture, ITestOutputHelper output)
{
    [Fact]
    public async Task Metrics_count_messages_jobs_commits_lag_and_job_outcomes_per_trigger()
    {
        var s = await TriggerScenario.CreateAsync(fixture.Api, fixture.Kafka);
        await s.CreateScriptAsync("u/test/picky", "bun", "export async function main(payload: string) { if (atob(payload) === 'bad') throw new Error('bad'); }");
        await s.CreateTriggerAsync("u/test/picky");
        await s.ProduceAsync("good", "bad", "good");
        await s.Api.WaitForFinishedJobsAsync(s.Ws, TriggerScenario.Trigger, 3);

        var trigger = $"trigger=\"{s.Ws}/{TriggerScenario.Trigger}\"";
        string[] lines = [];
        double? Value(string name, string label = "") =>
            lines.Where(l => l.StartsWith(name + "{") && l.Contains(trigger) && l.Contains(label))
                 .Select(l => (double?)double.Parse(l[(l.LastIndexOf('}') + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture))
                 .FirstOrDefault();
        try
        {
            await Eventually.WaitAsync(async () =>
            {
                lines = (await s.Api.Http.GetStringAsync("/metrics")).Split('\n');
                // Lag is sampled from the consumer about once a second.
                return Value("triggers_jobs_completed_total", "outcome=\"success\"") == 2 && Value("triggers_consumer_lag") is not null;
            }, TimeSpan.FromSeconds(30), "the job outcomes and the lag to be exported");
        }
        catch (TimeoutException)
        {
            output.WriteLine($"trigger status: {(await s.Api.GetTriggerAsync(s.Ws, TriggerScenario.Trigger)).ToJsonString()}");
            output.WriteLine(string.Join("\n", lines.Where(l => l.Contains(trigger) || l.StartsWith("triggers_consumer_lag"))));
            throw;
        }
        output.WriteLine(string.Join("\n", lines.Where(l => l.Contains(trigger))));

        Assert.Equal(3, Value("triggers_messages_received_total"));
        Assert.Equal(3, Value("triggers_jobs_created_total"));
        Assert.Equal(1, Value("triggers_jobs_completed_total", "outcome=\"failure\""));
        Assert.True(Value("triggers_commit_duration_milliseconds_count") >= 1);
        Assert.Equal(2, Value("triggers_job_duration_milliseconds_count", "outcome=\"success\""));
        Assert.Equal(1, Value("triggers_job_duration_milliseconds_count", "outcome=\"failure\""));
        Assert.Equal(0, Value("triggers_consumer_lag"));
    }
}
