using System.Diagnostics;
using System.Text.Json.Nodes;
using Triggers.Tests.Infrastructure;

namespace Triggers.Tests.Platform;

/// <summary>
/// What <c>./run.sh --demo</c> does, on a silo process with the embedded PostgreSQL and the development broker: the
/// silo fills the demo topic, <c>scripts/demo.sh</c> creates the demo through the API, jobs run; after a restart the
/// script runs again without complaint, the earlier jobs are still there and new ones keep coming.
/// </summary>
public sealed class DemoTests : IAsyncLifetime
{
    private const string Trigger = "u/demo/orders_trigger";
    private readonly EmbeddedPostgresDirectory _postgres = new();
    private SiloProcess _silo = null!;

    public async Task InitializeAsync()
    {
        var settings = _postgres.SiloSettings();
        settings["DevKafka__Port"] = FreePorts.Next().ToString();
        settings["DevKafka__DemoTopic"] = "demo-orders";
        _silo = new SiloProcess(null, $"demo-{Guid.NewGuid():N}", settings);
        await _silo.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _silo.DisposeAsync();
        _postgres.Dispose();
    }

    [Fact]
    public async Task The_demo_runs_jobs_and_they_outlive_a_restart()
    {
        await RunDemoScriptAsync();
        var api = _silo.CreateApiClient();
        var before = await SuccessfulOrdersAsync(api, atLeast: 3);
        Assert.All(before, job => Assert.Equal((int)job["result"]!["quantity"]! * 350, (int)job["result"]!["total_cents"]!));
        var script = await api.Http.GetStringAsync("/api/w/demo/scripts/get/p/u/demo/orders");
        Assert.Contains("preprocessor", script);

        await _silo.StopAsync();
        await _silo.StartAsync();
        await RunDemoScriptAsync(); // what exists is left alone

        api = _silo.CreateApiClient();
        // The development broker starts empty, so its offsets start at 0 again: those messages must become new jobs,
        // not be taken for the ones the previous broker's offsets made.
        var firstOffsets = before.Count(j => (int?)j["args"]?["offset"] == 0);
        await Eventually.WaitAsync(() => api.ListJobsAsync("demo", Trigger, status: "success"),
            jobs => jobs.Count(j => (int?)j["args"]?["offset"] == 0) > firstOffsets, TimeSpan.FromSeconds(30), "a job for the new broker's first offset");
        var after = await SuccessfulOrdersAsync(api, atLeast: before.Count + 3);
        var ids = after.Select(j => (string)j["id"]!).ToHashSet();
        Assert.Subset(ids, before.Select(j => (string)j["id"]!).ToHashSet());
        Assert.Equal(ids.Count, after.Count);
    }

    private static async Task<List<JsonObject>> SuccessfulOrdersAsync(TriggersApiClient api, int atLeast) =>
        await Eventually.WaitAsync(() => api.ListJobsAsync("demo", Trigger, status: "success"), jobs => jobs.Count >= atLeast,
            TimeSpan.FromSeconds(90), $"{atLeast} successful demo jobs");

    private async Task RunDemoScriptAsync()
    {
        var start = new ProcessStartInfo(Path.Combine(RepoPaths.Root, "scripts", "demo.sh"), [$"http://127.0.0.1:{_silo.HttpPort}", SiloFactory.AdminToken])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var demo = Process.Start(start)!;
        var output = demo.StandardOutput.ReadToEndAsync();
        var errors = await demo.StandardError.ReadToEndAsync();
        await demo.WaitForExitAsync();
        Assert.True(demo.ExitCode == 0, $"demo.sh failed ({demo.ExitCode}): {errors}{await output}");
        Assert.Contains("The demo is running", errors);
    }
}
