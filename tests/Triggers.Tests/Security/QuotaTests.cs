using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Triggers.Tests.Infrastructure;

namespace Triggers.Tests.Security;

/// <summary>
/// What one workspace may put in the queue through the API, attacked from a real job with its own token: a burst of run
/// requests gets 429 with Retry-After past the workspace's rate, a workspace at its ceiling of unfinished jobs gets 429
/// for every run, and an oversized body of arguments gets 413, each with a problem body that says which setting limits it.
/// </summary>
public sealed class QuotaTests
{
    private const string Ws = "quota";

    [Fact]
    public async Task A_job_that_fires_300_runs_with_its_token_is_held_to_the_workspaces_rate()
    {
        await using var silo = new SiloProcess(null, "quota", new Dictionary<string, string> { ["Jobs__StartsPerSecondPerWorkspace"] = "20" });
        await silo.StartAsync();
        var api = silo.CreateApiClient();
        await api.CreateWorkspaceAsync(Ws);
        await api.CreateScriptAsync(Ws, "u/ops/noop", "bash", "echo done");
        await api.CreateScriptAsync(Ws, "u/ops/flood", "bun", """
            export async function main() {
              const base = process.env.BASE_INTERNAL_URL!, token = process.env.WM_TOKEN!, ws = process.env.WM_WORKSPACE!;
              const answers = await Promise.all(Array.from({ length: 300 }, () => fetch(`${base}/api/w/${ws}/jobs/run/p/u/ops/noop`, {
                method: "POST", headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" }, body: "{}",
              })));
              const refused = answers.find(a => a.status === 429);
              return {
                admitted: answers.filter(a => a.status === 201).length,
                refused: answers.filter(a => a.status === 429).length,
                retryAfter: refused?.headers.get("retry-after") ?? null,
                detail: refused ? (await refused.json()).detail : null,
              };
            }
            """);

        var job = await api.WaitForJobEndAsync(Ws, await api.RunScriptAsync(Ws, "u/ops/flood", new { }));

        Assert.True((string?)job["status"] == "success", job.ToJsonString());
        var result = job["result"]!;
        Assert.Equal(300, (int)result["admitted"]! + (int)result["refused"]!);
        // The burst is the rate (20), plus what a second of replenishment adds while the requests arrive.
        Assert.InRange((int)result["admitted"]!, 20, 60);
        Assert.True(int.Parse((string)result["retryAfter"]!) >= 1);
        Assert.Contains("Jobs:StartsPerSecondPerWorkspace", (string?)result["detail"]);
    }

    [Fact]
    public async Task A_workspace_at_its_ceiling_of_unfinished_jobs_gets_429_and_an_oversized_argument_413()
    {
        // No worker slots: what is queued stays unfinished.
        await using var silo = new SiloProcess(null, "quota", new Dictionary<string, string> { ["Workers__Count"] = "0", ["Jobs__MaxUnfinishedPerWorkspace"] = "5" });
        await silo.StartAsync();
        var api = silo.CreateApiClient();
        await api.CreateWorkspaceAsync(Ws);
        await api.CreateScriptAsync(Ws, "u/ops/noop", "bash", "echo done");

        // The count is at most a second old, so a few more may pass before the ceiling shows.
        var refused = await Eventually.WaitAsync(() => api.Http.PostAsJsonAsync($"/api/w/{Ws}/jobs/run/p/u/ops/noop", new { }),
            r => r.StatusCode == HttpStatusCode.TooManyRequests, TimeSpan.FromSeconds(30), "the run to be refused at the ceiling");
        Assert.NotNull(refused.Headers.RetryAfter);
        Assert.Contains("Jobs:MaxUnfinishedPerWorkspace", (string?)(await refused.Content.ReadFromJsonAsync<JsonObject>())!["detail"]);
        Assert.InRange((await api.ListJobsAsync(Ws)).Count, 5, 40);

        // 25 MiB of arguments, sent as a careful client does (Expect: 100-continue): refused before the body is sent.
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/w/{Ws}/jobs/run/p/u/ops/noop")
        {
            Content = new ByteArrayContent(System.Text.Encoding.UTF8.GetBytes($"{{\"payload\":\"{new string('x', 25 << 20)}\"}}")),
        };
        request.Content.Headers.ContentType = new("application/json");
        request.Headers.ExpectContinue = true;
        using var tooLarge = await api.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooLarge.StatusCode);
        Assert.Contains("Jobs:MaxArgsBytes", (string?)(await tooLarge.Content.ReadFromJsonAsync<JsonObject>())!["detail"]);
    }
}
