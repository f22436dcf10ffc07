using System.Net.Http.Json;
using Triggers.Tests.Infrastructure;

namespace Triggers.Tests.EndToEnd;

/// <summary>Suspended mode holds jobs back; reset_offsets moves the consumer group.</summary>
[Collection(EmbeddedSiloCollection.Name)]
public sealed class TriggerModeTests(EmbeddedSiloFixture fixture)
{
    private const string Echo = "export async function main(payload: string) { return atob(payload); }";

    private static async Task PostAsync(TriggerScenario s, string route, object? body)
    {
        using var response = await s.Api.Http.PostAsJsonAsync($"/api/w/{s.Ws}/kafka_triggers/{route}/{TriggerScenario.Trigger}", body);
        response.EnsureSuccessStatusCode();
    }

    [Fact]
    public async Task A_suspended_trigger_keeps_consuming_but_holds_its_jobs_until_enabled()
    {
        var s = await TriggerScenario.CreateAsync(fixture.Api, fixture.Kafka);
        await s.CreateScriptAsync("u/test/echo", "bun", Echo);
        await s.CreateTriggerAsync("u/test/echo");
        await PostAsync(s, "setmode", new { mode = "suspended" });
        var suspended = await Eventually.WaitAsync(() => s.Api.GetTriggerAsync(s.Ws, TriggerScenario.Trigger),
            t => (string?)t["status"]!["state"] == "suspended" && t["status"]!["partitions"]!.AsArray().Count > 0,
            TimeSpan.FromSeconds(30), "the trigger to consume while suspended");
        Assert.Equal("suspended", (string?)suspended["mode"]);

        await s.ProduceAsync("held-1", "held-2");
        await Eventually.WaitAsync(() => s.Api.GetTriggerAsync(s.Ws, TriggerScenario.Trigger),
            t => (long)t["status"]!["jobs_created"]! == 2, TimeSpan.FromSeconds(30), "both messages to be queued");
        // A direct run queued after the held jobs finishes first: the workers are busy, just not with held jobs.
        using (var run = await s.Api.Http.PostAsJsonAsync($"/api/w/{s.Ws}/jobs/run/p/u/test/echo", new { payload = TestProducer.Base64("direct") }))
        {
            var id = await run.Content.ReadAsStringAsync();
            await Eventually.WaitAsync(() => s.Api.GetJobAsync(s.Ws, id), j => (string?)j["status"] == "success", TimeSpan.FromSeconds(30), "the direct run");
        }
        var held = await s.Api.ListJobsAsync(s.Ws, TriggerScenario.Trigger);
        Assert.Equal(2, held.Count);
        Assert.All(held, j => Assert.Equal(("queued", true), ((string)j["status"]!, (bool)j["held"]!)));

        await PostAsync(s, "setmode", new { mode = "enabled" });
        var jobs = await s.Api.WaitForFinishedJobsAsync(s.Ws, TriggerScenario.Trigger, 2);
        Assert.Equal(["held-1", "held-2"], jobs.Select(j => (string)j["result"]!).Order());
        Assert.All(jobs, j => Assert.False((bool)j["held"]!));
    }

    [Fact]
    public async Task Held_jobs_can_be_released_one_by_one_or_canceled_unrun_with_windmills_routes()
    {
        var s = await TriggerScenario.CreateAsync(fixture.Api, fixture.Kafka);
        await s.CreateScriptAsync("u/test/echo", "bun", Echo);
        await s.CreateTriggerAsync("u/test/echo");
        await PostAsync(s, "setmode", new { mode = "suspended" });
        await Eventually.WaitAsync(() => s.Api.GetTriggerAsync(s.Ws, TriggerScenario.Trigger),
            t => (string?)t["status"]!["state"] == "suspended" && t["status"]!["partitions"]!.AsArray().Count > 0,
            TimeSpan.FromSeconds(30), "the trigger to consume while suspended");
        await s.ProduceAsync("held-1", "held-2", "held-3");
        var held = await Eventually.WaitAsync(() => s.Api.ListJobsAsync(s.Ws, TriggerScenario.Trigger),
            jobs => jobs.Count == 3 && jobs.All(j => (bool)j["held"]!), TimeSpan.FromSeconds(30), "three held jobs");
        var chosen = (string)held[0]["id"]!;

        async Task<string> HeldJobsAsync(string route, object? body)
        {
            using var response = await s.Api.Http.PostAsJsonAsync($"/api/w/{s.Ws}/trigger/kafka/{route}/{TriggerScenario.Trigger}", body);
            response.EnsureSuccessStatusCode();
            return (await response.Content.ReadFromJsonAsync<string>())!;
        }

        Assert.Equal("Reassigned 1 jobs", await HeldJobsAsync("resume_suspended_trigger_jobs", new { job_ids = new[] { chosen } }));
        var released = await Eventually.WaitAsync(() => s.Api.GetJobAsync(s.Ws, chosen), j => (string?)j["status"] == "success",
            TimeSpan.FromSeconds(30), "the released job to run");
        Assert.False((bool)released["held"]!);

        Assert.Equal("Canceled 2 jobs", await HeldJobsAsync("cancel_suspended_trigger_jobs", new { }));
        var jobs = await s.Api.ListJobsAsync(s.Ws, TriggerScenario.Trigger);
        Assert.Equal(2, jobs.Count(j => (string?)j["status"] == "failure" && (string?)j["error"]!["name"] == "Canceled" && j["started_at"] is null));
        Assert.Equal("No jobs to cancel", await HeldJobsAsync("cancel_suspended_trigger_jobs", new { }));
    }

    [Fact]
    public async Task Reset_offsets_reprocesses_from_the_earliest_offset_and_skips_to_the_latest()
    {
        var s = await TriggerScenario.CreateAsync(fixture.Api, fixture.Kafka);
        await s.CreateScriptAsync("u/test/echo", "bun", Echo);
        await s.CreateTriggerAsync("u/test/echo");
        await s.ProduceAsync("a", "b", "c");
        await s.Api.WaitForFinishedJobsAsync(s.Ws, TriggerScenario.Trigger, 3);
        // From now on the trigger's own reset would be to the latest offset; Windmill's reset_offsets ignores that.
        using (var update = await s.Api.Http.PostAsJsonAsync($"/api/w/{s.Ws}/kafka_triggers/update/{TriggerScenario.Trigger}",
                   new { script_path = "u/test/echo", kafka_resource_path = TriggerScenario.Resource, topics = new[] { s.Topic }, auto_offset_reset = "latest" }))
            update.EnsureSuccessStatusCode();
        await s.Api.WaitUntilListeningAsync(s.Ws, TriggerScenario.Trigger);

        // Back to the start, as Windmill's client asks (no body: earliest, whatever the trigger's auto_offset_reset): the
        // three messages are read again and run again, as new jobs (the reset starts a new generation of job ids; a
        // plain restart would have found their old jobs).
        using (var reset = await s.Api.Http.PostAsync($"/api/w/{s.Ws}/kafka_triggers/reset_offsets/{TriggerScenario.Trigger}", null))
            Assert.True(reset.IsSuccessStatusCode, await reset.Content.ReadAsStringAsync());
        var replayed = await Eventually.WaitAsync(() => s.Api.GetTriggerAsync(s.Ws, TriggerScenario.Trigger),
            t => (long)t["status"]!["jobs_created"]! == 3, TimeSpan.FromSeconds(60), "the replay");
        Assert.Equal(0, (long)replayed["status"]!["duplicates_skipped"]!);
        await s.Api.WaitForFinishedJobsAsync(s.Ws, TriggerScenario.Trigger, 6);

        // To the end, while disabled: what was produced meanwhile is skipped.
        await PostAsync(s, "setmode", new { mode = "disabled" });
        await s.ProduceAsync("skipped-1", "skipped-2");
        await PostAsync(s, "reset_offsets", new { offset = "latest" });
        await PostAsync(s, "setmode", new { mode = "enabled" });
        await s.Api.WaitUntilListeningAsync(s.Ws, TriggerScenario.Trigger);
        await s.ProduceAsync("after-reset");
        var jobs = await s.Api.WaitForFinishedJobsAsync(s.Ws, TriggerScenario.Trigger, 7);
        Assert.Equal(["a", "a", "after-reset", "b", "b", "c", "c"], jobs.Select(j => (string)j["result"]!).Order());
    }

    [Fact]
    public async Task A_new_group_with_auto_offset_reset_latest_skips_the_history_and_earliest_reads_it()
    {
        var s = await TriggerScenario.CreateAsync(fixture.Api, fixture.Kafka);
        await s.CreateScriptAsync("u/test/echo", "bun", Echo);
        await s.ProduceAsync("history-1", "history-2");

        await s.CreateTriggerAsync("u/test/echo", new { auto_offset_reset = "earliest" }, path: "u/test/from_earliest");
        await s.CreateTriggerAsync("u/test/echo", new { auto_offset_reset = "latest" }, path: "u/test/from_latest");
        // "latest" is resolved when the consumer first fetches, which the API cannot show: produce until it reads one.
        var probes = 0;
        await Eventually.WaitAsync(async () =>
        {
            await s.ProduceAsync($"new-{++probes}");
            return (long)(await s.Api.GetTriggerAsync(s.Ws, "u/test/from_latest"))["status"]!["messages_received"]! > 0;
        }, TimeSpan.FromSeconds(30), "the latest-offset trigger to read a new message");

        var earliest = await s.Api.WaitForFinishedJobsAsync(s.Ws, "u/test/from_earliest", 2 + probes);
        Assert.Equal(["history-1", "history-2"], earliest.Select(j => (string)j["result"]!).Where(r => r.StartsWith("history")).Order());
        var received = (int)(long)(await s.Api.GetTriggerAsync(s.Ws, "u/test/from_latest"))["status"]!["messages_received"]!;
        var latest = await s.Api.WaitForFinishedJobsAsync(s.Ws, "u/test/from_latest", received);
        Assert.All(latest, j => Assert.StartsWith("new-", (string?)j["result"]));
    }

    [Fact]
    public async Task Updating_its_resource_reconnects_the_trigger_with_the_new_settings()
    {
        var s = await TriggerScenario.CreateAsync(fixture.Api, fixture.Kafka);
        await s.CreateScriptAsync("u/test/echo", "bun", Echo);
        await s.CreateTriggerAsync("u/test/echo");
        await s.Api.WaitUntilListeningAsync(s.Ws, TriggerScenario.Trigger, TimeSpan.FromSeconds(30));

        // Pointed at a broker that is not there, the trigger says so at once, without being touched itself.
        await UpdateResourceAsync(s, "127.0.0.1:1");
        await Eventually.WaitAsync(() => s.Api.GetTriggerAsync(s.Ws, TriggerScenario.Trigger),
            t => ((string?)t["error"] ?? "").Contains("127.0.0.1:1", StringComparison.Ordinal), TimeSpan.FromSeconds(30), "the trigger to report the new, unreachable broker");

        // Pointed back, it listens again and runs what was produced.
        await UpdateResourceAsync(s, fixture.Kafka.BootstrapServers);
        await s.Api.WaitUntilListeningAsync(s.Ws, TriggerScenario.Trigger, TimeSpan.FromSeconds(30));
        await s.ProduceAsync("after-the-move");
        var job = Assert.Single(await s.Api.WaitForFinishedJobsAsync(s.Ws, TriggerScenario.Trigger, 1));
        Assert.Equal("after-the-move", (string?)job["result"]);
        Assert.Equal("enabled", (string?)(await s.Api.GetTriggerAsync(s.Ws, TriggerScenario.Trigger))["mode"]);
    }

    private static async Task UpdateResourceAsync(TriggerScenario s, string bootstrap)
    {
        using var response = await s.Api.Http.PostAsJsonAsync($"/api/w/{s.Ws}/resources/update/{TriggerScenario.Resource}",
            new { resource_type = "kafka", value = new { brokers = bootstrap.Split(','), security = new { label = "PLAINTEXT" } } });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }
}
