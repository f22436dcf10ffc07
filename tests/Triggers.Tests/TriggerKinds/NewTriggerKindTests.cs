using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;
using Triggers.Tests.Infrastructure;
using Triggers.Triggers;
using Triggers.Validation;

namespace Triggers.Tests.TriggerKinds;

/// <summary>
/// A trigger kind defined only here (<see cref="TicketTriggerKind"/>) and registered with one line gets what every
/// kind gets from the framework: retries, its error handler, its own failure action, resume at startup and after the
/// loss of its silo.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class NewTriggerKindTests(PostgresFixture postgres)
{
    private const string Ws = "tickets";

    private static SiloFactory Silo(IReadOnlyDictionary<string, string?> settings) =>
        new(settings, services => services.AddTriggerKind<TicketTriggerKind>());

    [Fact]
    public async Task A_registered_kind_gets_retries_its_error_handler_and_its_failure_action()
    {
        await using var silo = Silo(new Dictionary<string, string?>());
        var api = silo.CreateApiClient();
        await api.CreateWorkspaceAsync(Ws);
        await api.CreateScriptAsync(Ws, "u/t/reject", "bun", "export async function main(ticket: string) { throw new Error(`rejected ${ticket}`); }");
        await api.CreateScriptAsync(Ws, "u/t/on_failure", "bun",
            "export async function main(error: any, trigger_path: string) { return { message: error.message, trigger_path }; }");
        var queue = $"q-{Guid.NewGuid():N}";
        await Trigger(silo, "u/t/tickets").CreateAsync(new TicketTrigger
        {
            Path = "u/t/tickets", ScriptPath = "u/t/reject", Queue = queue,
            Retry = new RetryPolicy { Constant = new ConstantRetry(Attempts: 1, Seconds: 0) },
            ErrorHandlerPath = "u/t/on_failure",
        });

        TicketQueues.Named(queue).Enqueue("T-1");

        var id = (string)Assert.Single(await api.WaitForFinishedJobsAsync(Ws, "u/t/tickets", 1))["id"]!;
        // The handler is linked and the failure action runs just after the job's final state is stored.
        var job = await Eventually.WaitAsync(() => api.GetJobAsync(Ws, id), j => j["error_handler_job_id"] is not null,
            TimeSpan.FromSeconds(30), "the failed job to name its error handler job");
        await Eventually.WaitAsync(() => Task.FromResult(TicketQueues.FailedJobs.Contains(Guid.Parse(id))),
            TimeSpan.FromSeconds(30), "the kind's failure action to see the job");
        Assert.Equal("failure", (string?)job["status"]);
        Assert.Equal("ticket", (string?)job["trigger_kind"]);
        Assert.Equal("T-1", (string?)job["args"]!["ticket"]); // main's arguments came from the kind's event
        Assert.Equal(2, (int)job["attempts"]!); // the first run and the one rerun the trigger's policy allows

        var handler = await Eventually.WaitAsync(() => api.GetJobAsync(Ws, (string)job["error_handler_job_id"]!), j => (string?)j["status"] is "success" or "failure",
            TimeSpan.FromSeconds(30), "the error handler job to finish");
        Assert.Equal("success", (string?)handler["status"]);
        Assert.Equal("rejected T-1", (string?)handler["result"]!["message"]);
        Assert.Equal("u/t/tickets", (string?)handler["result"]!["trigger_path"]);
    }

    [Fact]
    public async Task A_registered_kind_resumes_when_its_silo_leaves_and_when_a_silo_starts()
    {
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:Postgres"] = await postgres.CreateDatabaseAsync(),
            ["Orleans:ClusterId"] = $"tickets-{Guid.NewGuid():N}",
        };
        await using var first = Silo(settings);
        await using var second = Silo(settings);
        var api = first.CreateApiClient();
        _ = second.CreateApiClient(); // starts it: both silos are in the cluster before the trigger is placed
        await api.CreateWorkspaceAsync(Ws);
        await api.CreateScriptAsync(Ws, "u/t/echo", "bun", "export async function main(ticket: string) { return ticket; }");
        var queue = $"q-{Guid.NewGuid():N}";
        var view = await Trigger(first, "u/t/tickets").CreateAsync(new TicketTrigger { Path = "u/t/tickets", ScriptPath = "u/t/echo", Queue = queue });

        // Stop the silo that runs the listener. Nothing calls the trigger afterwards: only the framework's resume can
        // bring it back on the survivor before its reminder's first tick, a minute after creation.
        var (host, survivor) = view.ServerId == Address(first) ? (first, second) : (second, first);
        await host.DisposeAsync();
        TicketQueues.Named(queue).Enqueue("after-loss");
        var afterLoss = Assert.Single(await survivor.CreateApiClient().WaitForFinishedJobsAsync(Ws, "u/t/tickets", 1, TimeSpan.FromSeconds(40)));
        Assert.Equal("after-loss", (string?)afterLoss["result"]);

        // Stop the whole cluster, queue a ticket, start a new silo: it resumes the trigger at startup.
        await survivor.DisposeAsync();
        TicketQueues.Named(queue).Enqueue("after-restart");
        await using var restarted = Silo(settings);
        var jobs = await restarted.CreateApiClient().WaitForFinishedJobsAsync(Ws, "u/t/tickets", 2, TimeSpan.FromSeconds(40));
        Assert.Contains(jobs, j => (string?)j["result"] == "after-restart");
    }

    private static ITicketTriggerGrain Trigger(SiloFactory silo, string path) =>
        silo.Services.GetRequiredService<IGrainFactory>().GetGrain<ITicketTriggerGrain>(Names.ItemKey(Ws, path));

    private static string Address(SiloFactory silo) => silo.Services.GetRequiredService<ILocalSiloDetails>().SiloAddress.ToString();
}
