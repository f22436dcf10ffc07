using System.Net.Http.Json;
using Triggers.Tests.EndToEnd;
using Triggers.Tests.Infrastructure;

namespace Triggers.Tests.Failures;

/// <summary>A trigger's retry policy reruns failed jobs, visibly, with the configured spacing.</summary>
[Collection(EmbeddedSiloCollection.Name)]
public sealed class RetryTests(EmbeddedSiloFixture fixture)
{
    private const string AlwaysFails = "export async function main(payload: string) { throw new Error('failing: ' + atob(payload)); }";

    /// <summary>Fails its first run and succeeds afterwards, remembering the first run at the payload's URL (a key of
    /// <see cref="JobStateServer"/>).</summary>
    public const string FailsOnce = """
        export async function main(payload: string) {
          const marker = atob(payload);
          if ((await fetch(marker)).status === 404) { await fetch(marker, { method: "PUT", body: "ran" }); throw new Error("first run fails"); }
          return "recovered";
        }
        """;

    private static double[] Gaps(System.Text.Json.Nodes.JsonObject job) =>
        job["attempt_history"]!.AsArray().Zip(job["attempt_history"]!.AsArray().Skip(1),
            (a, b) => ((DateTimeOffset)b!["started_at"]! - (DateTimeOffset)a!["completed_at"]!).TotalSeconds).ToArray();

    [Fact]
    public async Task A_constant_policy_reruns_a_failing_job_its_number_of_attempts_seconds_apart()
    {
        var s = await TriggerScenario.CreateAsync(fixture.Api, fixture.Kafka);
        await s.CreateScriptAsync("u/test/fails", "bun", AlwaysFails);
        await s.CreateTriggerAsync("u/test/fails", new { retry = new { constant = new { attempts = 2, seconds = 1 } } });

        await s.ProduceAsync("boom");

        var job = Assert.Single(await s.Api.WaitForFinishedJobsAsync(s.Ws, TriggerScenario.Trigger, 1));
        Assert.Equal("failure", (string?)job["status"]);
        Assert.Equal(3, (int)job["attempts"]!);
        var history = job["attempt_history"]!.AsArray();
        Assert.Equal([1, 2, 3], history.Select(a => (int)a!["attempt"]!));
        Assert.All(history, a => Assert.Equal("failing: boom", (string?)a!["error"]!["message"]));
        Assert.All(Gaps(job), gap => Assert.True(gap >= 0.95, $"reruns must wait the policy's 1 s, waited {gap:0.00} s"));
    }

    [Fact]
    public async Task An_exponential_policy_waits_longer_before_each_rerun()
    {
        var s = await TriggerScenario.CreateAsync(fixture.Api, fixture.Kafka);
        await s.CreateScriptAsync("u/test/fails", "bun", AlwaysFails);
        await s.CreateTriggerAsync("u/test/fails",
            new { retry = new { exponential = new { attempts = 2, multiplier = 1, seconds = 2, random_factor = 0 } } });

        await s.ProduceAsync("boom");

        var job = Assert.Single(await s.Api.WaitForFinishedJobsAsync(s.Ws, TriggerScenario.Trigger, 1, TimeSpan.FromSeconds(60)));
        Assert.Equal(3, (int)job["attempts"]!);
        var gaps = Gaps(job);
        Assert.True(gaps[0] >= 1.95, $"the first rerun waits 1 × 2^1 = 2 s, waited {gaps[0]:0.00} s");
        Assert.True(gaps[1] >= 3.95, $"the second rerun waits 1 × 2^2 = 4 s, waited {gaps[1]:0.00} s");
    }

    [Fact]
    public async Task A_job_that_succeeds_on_a_rerun_ends_in_success()
    {
        var s = await TriggerScenario.CreateAsync(fixture.Api, fixture.Kafka);
        await s.CreateScriptAsync("u/test/flaky", "bun", FailsOnce);
        await s.CreateTriggerAsync("u/test/flaky", new { retry = new { constant = new { attempts = 3, seconds = 0 } } });

        await s.ProduceAsync(JobStateServer.Shared.NewKey("marker"));

        var job = Assert.Single(await s.Api.WaitForFinishedJobsAsync(s.Ws, TriggerScenario.Trigger, 1));
        Assert.Equal("success", (string?)job["status"]);
        Assert.Equal("recovered", (string?)job["result"]);
        Assert.Equal(2, (int)job["attempts"]!);
        Assert.Equal([false, true], job["attempt_history"]!.AsArray().Select(a => (bool)a!["succeeded"]!));
        Assert.Null(job["error_handler_job_id"]);
    }

    [Fact]
    public async Task Constant_reruns_come_first_then_exponential_ones_and_retry_if_stops_reruns_of_other_errors()
    {
        var s = await TriggerScenario.CreateAsync(fixture.Api, fixture.Kafka);
        // Fails with an error named after the payload: "Transient" errors are worth rerunning, "Permanent" ones are not.
        await s.CreateScriptAsync("u/test/named", "bun", """
            export async function main(payload: string) { const e = new Error("failed"); e.name = atob(payload); throw e; }
            """);
        await s.CreateTriggerAsync("u/test/named", new
        {
            retry = new
            {
                constant = new { attempts = 1, seconds = 0 },
                exponential = new { attempts = 1, multiplier = 0.5, seconds = 2, random_factor = 0 },
                retry_if = new { expr = "error.name !== 'Permanent' && result.error.message === 'failed'" },
            },
        });

        await s.ProduceAsync("Transient", "Permanent");

        var jobs = await s.Api.WaitForFinishedJobsAsync(s.Ws, TriggerScenario.Trigger, 2, TimeSpan.FromSeconds(90));
        var transient = jobs.Single(j => (string?)j["error"]!["name"] == "Transient");
        var permanent = jobs.Single(j => (string?)j["error"]!["name"] == "Permanent");
        Assert.Equal(3, (int)transient["attempts"]!); // the first run, one constant rerun, one exponential rerun
        var gaps = Gaps(transient);
        Assert.True(gaps[1] >= 1.9, $"the exponential rerun waits 0.5 × 2² = 2 s: {string.Join(", ", gaps)}");
        Assert.Equal(1, (int)permanent["attempts"]!); // retry_if said no
    }

    [Fact]
    public async Task A_retry_if_that_does_not_parse_is_refused_when_the_trigger_is_saved()
    {
        var s = await TriggerScenario.CreateAsync(fixture.Api, fixture.Kafka);
        await s.CreateScriptAsync("u/test/fails", "bun", AlwaysFails);
        using var response = await s.Api.Http.PostAsJsonAsync($"/api/w/{s.Ws}/kafka_triggers/create", new
        {
            path = TriggerScenario.Trigger, script_path = "u/test/fails", kafka_resource_path = TriggerScenario.Resource, topics = new[] { s.Topic },
            retry = new { constant = new { attempts = 1, seconds = 1 }, retry_if = new { expr = "error.name ===" } },
        });
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("retry.retry_if", (string?)(await response.Content.ReadFromJsonAsync<System.Text.Json.Nodes.JsonObject>())!["field"]);
    }
}
