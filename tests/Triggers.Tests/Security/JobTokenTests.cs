using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Triggers.Tests.Infrastructure;
using Xunit;

namespace Triggers.Tests.Security;

/// <summary>
/// A job's own token (<c>WM_TOKEN</c>) and the API's address (<c>BASE_INTERNAL_URL</c>), used by a real Bun job inside
/// its sandbox against a real silo process: the developer role in the job's workspace, nothing outside it, and nothing
/// once the job has finished. In memory mode and on PostgreSQL, where a running job is a claimed row that keeps
/// <c>status = 'queued'</c> (0011): the token check must see it as running all the same.
/// </summary>
public abstract class JobTokenTests : IAsyncLifetime
{
    private const string Ws = "tokens";
    private const string OtherWs = "elsewhere";

    // Calls the API as Windmill's client would, and answers what each call got.
    private const string Script = """
        export async function main(other: string) {
          const base = process.env.BASE_INTERNAL_URL!, token = process.env.WM_TOKEN!, ws = process.env.WM_WORKSPACE!;
          const call = (path: string, body?: unknown) => fetch(base + path, {
            method: body === undefined ? "GET" : "POST",
            headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
            body: body === undefined ? undefined : JSON.stringify(body),
          });
          const own = await call(`/api/w/${ws}/jobs_u/get/${process.env.WM_JOB_ID}`);
          const created = await call(`/api/w/${ws}/scripts/create`,
            { path: "u/job/made_by_job", language: "bun", content: "export function main() { return 1; }", summary: "", description: "" });
          const elsewhere = await call(`/api/w/${other}/scripts/list`);
          const tokens = await call(`/api/tokens/list`);
          // The same token with one character of its signature changed, while the job still runs.
          const forgedToken = token.slice(0, -5) + (token.at(-5) === "A" ? "B" : "A") + token.slice(-4);
          const forged = await fetch(`${base}/api/w/${ws}/scripts/list`, { headers: { Authorization: `Bearer ${forgedToken}` } });
          return {
            base, token,
            own: own.status, ownState: (await own.json()).status,
            created: created.status,
            elsewhere: elsewhere.status, elsewhereDetail: (await elsewhere.json()).detail,
            tokens: tokens.status,
            forged: forged.status,
          };
        }
        """;

    private SiloProcess _silo = null!;
    private TriggersApiClient _api = null!;
    private string _expectedBase = null!;

    /// <summary>The silo's database (null: memory mode).</summary>
    protected abstract Task<string?> DatabaseAsync();

    /// <summary>Sets the silo's address for jobs, or leaves the default; returns the address jobs should get.</summary>
    protected abstract string InternalUrl(SiloProcess silo);

    public async Task InitializeAsync()
    {
        _silo = new SiloProcess(await DatabaseAsync(), $"job-tokens-{Guid.NewGuid():N}", new Dictionary<string, string> { ["DevKafka__Enabled"] = "false" });
        _expectedBase = InternalUrl(_silo);
        await _silo.StartAsync();
        _api = _silo.CreateApiClient();
        await _api.CreateWorkspaceAsync(Ws);
        await _api.CreateWorkspaceAsync(OtherWs);
        await _api.CreateScriptAsync(Ws, "u/job/calls_api", "bun", Script);
    }

    public async Task DisposeAsync() => await _silo.DisposeAsync();

    [Fact]
    public async Task A_job_calls_the_api_in_its_own_workspace_with_its_token_which_dies_with_the_job()
    {
        using var run = await _api.Http.PostAsJsonAsync($"/api/w/{Ws}/jobs/run/p/u/job/calls_api", new { other = OtherWs });
        run.EnsureSuccessStatusCode();
        var id = await run.Content.ReadAsStringAsync();
        var job = await Eventually.WaitAsync(() => _api.GetJobAsync(Ws, id), j => (string?)j["status"] is "success" or "failure",
            TimeSpan.FromSeconds(60), "the job to finish");
        Assert.True((string?)job["status"] == "success", job.ToJsonString());
        var result = job["result"]!;
        var token = (string)result["token"]!;

        Assert.Equal(_expectedBase, (string?)result["base"]);
        // While it runs: its own job, and a developer's change in its workspace.
        Assert.Equal(200, (int)result["own"]!);
        Assert.Equal("running", (string?)result["ownState"]);
        Assert.Equal(201, (int)result["created"]!);
        Assert.NotNull(await _api.Http.GetFromJsonAsync<JsonObject>($"/api/w/{Ws}/scripts/get/p/u/job/made_by_job"));
        // Nothing outside its workspace, nor the cluster's own routes.
        Assert.Equal(403, (int)result["elsewhere"]!);
        Assert.Contains($"may not use workspace '{OtherWs}'", (string?)result["elsewhereDetail"]);
        Assert.Equal(403, (int)result["tokens"]!);
        Assert.Equal(401, (int)result["forged"]!);
        // Once the job has finished, its token opens nothing.
        using var after = await Call(token, $"/api/w/{Ws}/scripts/list");
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
        Assert.Contains("has ended", await after.Content.ReadAsStringAsync());
        Assert.DoesNotContain(token, _silo.Output);
    }

    private async Task<HttpResponseMessage> Call(string token, string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{_silo.HttpPort}{path}");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await _api.Http.SendAsync(request);
    }
}

/// <summary>Memory mode, with the default address: the one Kestrel serves on.</summary>
public sealed class JobTokenInMemoryTests : JobTokenTests
{
    protected override Task<string?> DatabaseAsync() => Task.FromResult<string?>(null);

    protected override string InternalUrl(SiloProcess silo) => $"http://127.0.0.1:{silo.HttpPort}";
}

/// <summary>PostgreSQL mode, with <c>Workers:BaseInternalUrl</c> set (as behind a Kubernetes Service).</summary>
[Collection(PostgresCollection.Name)]
public sealed class JobTokenPostgresTests(PostgresFixture postgres) : JobTokenTests
{
    protected override async Task<string?> DatabaseAsync() => await postgres.CreateDatabaseAsync();

    protected override string InternalUrl(SiloProcess silo)
    {
        var url = $"http://localhost:{silo.HttpPort}";
        silo.Set("Workers__BaseInternalUrl", url);
        return url;
    }
}
