using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Triggers.Tests.Infrastructure;

namespace Triggers.Tests.Security;

/// <summary>
/// A silo never runs a job less isolated than it was told to: where the sandbox does not work it runs none (and says
/// why) unless unsandboxed jobs were asked for by name; and even an unsandboxed job, which runs as the jobs' user, does
/// not get into the embedded PostgreSQL, whose files belong to a user of their own and which wants a password.
/// </summary>
public sealed class FailClosedTests
{
    private const string Ws = "closed";

    [Fact]
    public async Task A_silo_whose_sandbox_does_not_work_runs_no_job_and_says_why()
    {
        // A bubblewrap that fails its trial job, as one blocked from making user namespaces does.
        await using var silo = new SiloProcess(null, "closed", new Dictionary<string, string> { ["Workers__Bubblewrap"] = "/bin/false" });
        await silo.StartAsync();
        Assert.Contains("jobs:         NONE RUN HERE: a trial job failed", silo.Output);

        var api = silo.CreateApiClient();
        var health = (await api.Http.GetFromJsonAsync<JsonObject>("/health"))!;
        Assert.Equal("Degraded", (string?)health["checks"]!["jobs"]!["status"]);
        Assert.Contains("runs no jobs", (string?)health["checks"]!["jobs"]!["description"]);

        // The worker slots were given up before the silo became ready, so this job waits for a silo that can run it.
        await api.CreateWorkspaceAsync(Ws);
        await api.CreateScriptAsync(Ws, "u/ops/hello", "bash", "echo hello");
        var id = await api.RunScriptAsync(Ws, "u/ops/hello", new { });
        Assert.Equal("queued", (string?)(await api.GetJobAsync(Ws, id))["status"]);
        Assert.DoesNotContain("Jobs run WITHOUT a sandbox", silo.Output);
    }

    [Fact]
    public async Task An_unsandboxed_job_cannot_get_into_the_embedded_PostgreSQL()
    {
        using var database = new EmbeddedPostgresDirectory();
        await using var silo = new SiloProcess(null, "closed", new Dictionary<string, string>(database.SiloSettings()) { ["Workers__Sandbox"] = "none" });
        await silo.StartAsync();
        var socket = Path.Combine(database.Options.DataDirectory, "socket");

        // The database's files are not the jobs' user's (65534), and the socket wants a password even from root.
        Assert.NotEqual(65534, FileOwner(Path.Combine(database.Options.DataDirectory, "data")));
        var (exit, output) = await PsqlAsync(socket);
        Assert.NotEqual(0, exit);
        Assert.Contains("no password supplied", output);

        var api = silo.CreateApiClient();
        await api.CreateWorkspaceAsync(Ws);
        await api.CreateScriptAsync(Ws, "u/ops/psql", "bash", """
            socket="$1"
            out=$(psql -h "$socket" -U triggers -d postgres -Atc 'select count(*) from jobs' 2>&1 </dev/null)
            echo "psql exited $? with: $out" | tr '\n' ' '
            """);
        var job = await api.WaitForJobEndAsync(Ws, await api.RunScriptAsync(Ws, "u/ops/psql", new { socket }));
        var result = (string?)job["result"];
        Assert.True(job["status"]?.ToString() == "success", job.ToJsonString());
        Assert.DoesNotContain("psql exited 0", result);
        Assert.Contains("Permission denied", result);
    }

    private static int FileOwner(string path)
    {
        using var stat = Process.Start(new ProcessStartInfo("stat", ["-c", "%u", path]) { RedirectStandardOutput = true })!;
        var owner = stat.StandardOutput.ReadToEnd().Trim();
        stat.WaitForExit();
        return int.Parse(owner);
    }

    private static async Task<(int Exit, string Output)> PsqlAsync(string socket)
    {
        var start = new ProcessStartInfo("psql", ["-h", socket, "-U", "triggers", "-d", "postgres", "-w", "-Atc", "select 1"])
        {
            RedirectStandardOutput = true, RedirectStandardError = true,
        };
        start.Environment.Remove("PGPASSWORD");
        using var psql = Process.Start(start)!;
        var output = await psql.StandardOutput.ReadToEndAsync() + await psql.StandardError.ReadToEndAsync();
        await psql.WaitForExitAsync();
        return (psql.ExitCode, output);
    }
}
