using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Npgsql;
using Triggers.Tests.Infrastructure;

namespace Triggers.Tests.Jobs;

/// <summary>
/// Every job reaches a final state with an error a person can act on, on PostgreSQL mode, where each of these used to
/// leave a job running until its lease ended (5 minutes) and then run it again, for ever. Real silo, PostgreSQL,
/// Bun and Python.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class JobsAlwaysEndTests(PostgresFixture postgres) : IAsyncLifetime
{
    private const string Ws = "always-end";
    // Well under the job lease, so a job left running fails the wait.
    private static readonly TimeSpan EndsWithin = TimeSpan.FromSeconds(45);

    private string _db = "";
    private SiloFactory _silo = null!;
    private TriggersApiClient _api = null!;

    public async Task InitializeAsync()
    {
        _db = await postgres.CreateDatabaseAsync();
        _silo = new SiloFactory(new Dictionary<string, string?> { ["ConnectionStrings:Postgres"] = _db });
        _api = _silo.CreateApiClient();
        await _api.CreateWorkspaceAsync(Ws);
    }

    public async Task DisposeAsync() => await _silo.DisposeAsync();

    private async Task<JsonObject> RunToTheEndAsync(string scriptPath, string argsJson)
    {
        using var run = await _api.Http.PostAsync($"/api/w/{Ws}/jobs/run/p/{scriptPath}", new StringContent(argsJson, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Created, run.StatusCode);
        return await FinishedAsync(await run.Content.ReadAsStringAsync());
    }

    private Task<JsonObject> FinishedAsync(string id) =>
        Eventually.WaitAsync(() => _api.GetJobAsync(Ws, id), j => (string?)j["status"] is "success" or "failure", EndsWithin, $"job {id} to end");

    [Fact]
    public async Task Output_with_NUL_characters_and_half_surrogate_pairs_is_stored_with_visible_replacements()
    {
        await _api.CreateScriptAsync(Ws, "u/t/nul", "python3", "def main(s: str):\n    print('a\\x00b')\n    return {'text': s + '\\x00'}\n");
        await _api.CreateScriptAsync(Ws, "u/t/lone", "bun", "export async function main() { return { lone: '\\ud800', pair: '\\ud83d\\ude00' }; }");

        var nul = await RunToTheEndAsync("u/t/nul", """{"s": "in\u0000put"}""");
        var lone = await RunToTheEndAsync("u/t/lone", "{}");

        Assert.Equal("success", (string?)nul["status"]);
        Assert.Contains("a\u2400b", (string?)nul["logs"]);
        Assert.Equal("in\u2400put\u2400", (string?)nul["result"]!["text"]);
        Assert.Equal("in\u2400put", (string?)nul["args"]!["s"]);
        Assert.Equal("success", (string?)lone["status"]);
        Assert.Equal("\uFFFD", (string?)lone["result"]!["lone"]);
        Assert.Equal("\U0001F600", (string?)lone["result"]!["pair"]);
    }

    [Fact]
    public async Task A_job_the_worker_cannot_run_fails_at_once_with_the_workers_error()
    {
        await _api.CreateScriptAsync(Ws, "u/t/echo", "bun", "export async function main(payload: string) { return payload; }");
        // A stored event that is not an object (say, written by an older version): reading it throws in the worker.
        var id = await InsertJobAsync("'queued'", "event => '[1]'");

        var job = await FinishedAsync(id);

        Assert.Equal("failure", (string?)job["status"]);
        Assert.Equal("WorkerError", (string?)job["error"]!["name"]);
        Assert.Contains("The worker failed while running the job", (string?)job["error"]!["message"]);
    }

    [Fact]
    public async Task A_job_lost_by_its_workers_too_often_fails_instead_of_running_again()
    {
        var marker = Path.Combine(Path.GetTempPath(), $"lost-{Guid.NewGuid():N}");
        await _api.CreateScriptAsync(Ws, "u/t/mark", "bun", $$"""
            import { writeFileSync } from "node:fs";
            export async function main() { writeFileSync("{{marker}}", "ran"); }
            """);
        // Twice lost already, and started by a worker whose lease has run out: taking it over is its third loss.
        await using (var db = NpgsqlDataSource.Create(_db))
        await using (var started = db.CreateCommand("INSERT INTO job_workers (worker_id, started_through) VALUES ('gone', 1)"))
            await started.ExecuteNonQueryAsync();
        var id = await InsertJobAsync("'running'", "script_path => 'u/t/mark', attempts => 3, lost_runs => 2, claimed_by => 'gone', claim_ordinal => 1, lease_until => now() - interval '1 second'");

        var job = await FinishedAsync(id);

        Assert.Equal("failure", (string?)job["status"]);
        Assert.Equal("JobLost", (string?)job["error"]!["name"]);
        Assert.Contains("lost by its worker 3 times", (string?)job["error"]!["message"]);
        Assert.False(File.Exists(marker), "the script did not run again");
    }

    /// <summary>Writes a job row the way an earlier run left it; <paramref name="columns"/> overrides the defaults.</summary>
    private async Task<string> InsertJobAsync(string status, string columns)
    {
        var values = new Dictionary<string, string>
        {
            ["id"] = $"'{Guid.NewGuid()}'", ["workspace_id"] = $"'{Ws}'", ["script_path"] = "'u/t/echo'", ["status"] = status,
            ["trigger_kind"] = "'kafka'", ["trigger_path"] = "'u/t/trigger'", ["created_at"] = "now()",
        };
        foreach (var pair in columns.Split(", "))
        {
            var (name, value) = (pair[..pair.IndexOf(" => ", StringComparison.Ordinal)], pair[(pair.IndexOf(" => ", StringComparison.Ordinal) + 4)..]);
            values[name] = value;
        }
        await using var db = NpgsqlDataSource.Create(_db);
        await using var insert = db.CreateCommand($"INSERT INTO jobs ({string.Join(", ", values.Keys)}) VALUES ({string.Join(", ", values.Values)})");
        await insert.ExecuteNonQueryAsync();
        return values["id"].Trim('\'');
    }
}
