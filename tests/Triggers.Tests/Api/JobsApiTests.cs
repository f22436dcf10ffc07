using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Triggers.Tests.EndToEnd;
using Triggers.Tests.Infrastructure;

namespace Triggers.Tests.Api;

/// <summary>Running a script directly through the jobs API, and the platform endpoints.</summary>
[Collection(EmbeddedSiloCollection.Name)]
public sealed class JobsApiTests(EmbeddedSiloFixture fixture)
{
    private HttpClient Http => fixture.Api.Http;

    [Fact]
    public async Task A_script_created_with_dedicated_worker_runs_job_after_job_in_one_warm_process()
    {
        var ws = $"warm-{Guid.NewGuid():N}"[..20];
        await fixture.Api.CreateWorkspaceAsync(ws);
        using (var create = await Http.PostAsJsonAsync($"/api/w/{ws}/scripts/create", new
        {
            path = "u/test/counter", language = "bun", dedicated_worker = true,
            content = "let runs = 0;\nexport async function main(name: string) { runs++; console.log(`hello ${name}`); return runs; }",
        }))
            Assert.Equal(HttpStatusCode.Created, create.StatusCode);
        Assert.True((bool)(await Http.GetFromJsonAsync<JsonObject>($"/api/w/{ws}/scripts/get/p/u/test/counter"))!["dedicated_worker"]!);

        // One job at a time, so each finds the process the previous one used: its module state (the count) carries on.
        for (var n = 1; n <= 3; n++)
        {
            using var run = await Http.PostAsJsonAsync($"/api/w/{ws}/jobs/run/p/u/test/counter", new { name = $"job {n}" });
            var id = await run.Content.ReadAsStringAsync();
            var job = await Eventually.WaitAsync(() => fixture.Api.GetJobAsync(ws, id),
                j => (string?)j["status"] is "success" or "failure", TimeSpan.FromSeconds(30), "the job to finish");
            Assert.Equal("success", (string?)job["status"]);
            Assert.Equal(n, (int)job["result"]!);
            Assert.Equal($"hello job {n}\n", (string?)job["logs"]);
        }

        using var bash = await Http.PostAsJsonAsync($"/api/w/{ws}/scripts/create",
            new { path = "u/test/bash", language = "bash", dedicated_worker = true, content = "echo hi" });
        Assert.Equal(HttpStatusCode.BadRequest, bash.StatusCode);
        Assert.Equal("dedicated_worker", (string?)(await bash.Content.ReadFromJsonAsync<JsonObject>())!["field"]);
    }

    [Fact]
    public async Task A_script_run_through_the_api_gets_its_arguments_by_name_and_its_result_is_kept()
    {
        var ws = $"run-{Guid.NewGuid():N}"[..20];
        await fixture.Api.CreateWorkspaceAsync(ws);
        await fixture.Api.CreateScriptAsync(ws, "u/test/greet", "python3",
            "def main(name: str, times: int = 1):\n    print('greeting', name)\n    return {'greeting': ' '.join(['hello ' + name] * times)}\n");

        using var run = await Http.PostAsJsonAsync($"/api/w/{ws}/jobs/run/p/u/test/greet", new { name = "ada", times = 2 });
        Assert.Equal(HttpStatusCode.Created, run.StatusCode);
        var id = await run.Content.ReadAsStringAsync();

        var job = await Eventually.WaitAsync(() => fixture.Api.GetJobAsync(ws, id),
            j => (string?)j["status"] is "success" or "failure", TimeSpan.FromSeconds(30), "the job to finish");
        Assert.Equal("success", (string?)job["status"]);
        Assert.Equal("ada", (string?)job["args"]!["name"]);
        Assert.Null(job["trigger_kind"]);
        Assert.Equal(1, (int)job["attempts"]!);
        Assert.Contains("greeting ada", (string?)job["logs"]);
        Assert.True((long)job["duration_ms"]! >= 0);

        var result = await Http.GetFromJsonAsync<JsonObject>($"/api/w/{ws}/jobs_u/completed/get_result/{id}");
        Assert.Equal("hello ada hello ada", (string?)result!["greeting"]);
        var listed = await Http.GetFromJsonAsync<List<JsonObject>>($"/api/w/{ws}/jobs/list?script_path=u/test/greet&status=success");
        Assert.Equal(id, (string?)Assert.Single(listed!)["id"]);
    }

    [Fact]
    public async Task Running_a_missing_script_or_reading_a_missing_job_is_not_found()
    {
        var ws = $"run-{Guid.NewGuid():N}"[..20];
        await fixture.Api.CreateWorkspaceAsync(ws);
        using var run = await Http.PostAsJsonAsync($"/api/w/{ws}/jobs/run/p/u/test/none", new { });
        Assert.Equal(HttpStatusCode.NotFound, run.StatusCode);
        using var get = await Http.GetAsync($"/api/w/{ws}/jobs_u/get/{Guid.NewGuid()}");
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
    }

    [Fact]
    public async Task Health_and_version_answer_without_a_token()
    {
        using var anonymous = fixture.Silo.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/health/live")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/health/ready")).StatusCode);
        Assert.StartsWith("Orleans Triggers v", await anonymous.GetStringAsync("/api/version"));
    }
}
