using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Triggers.Runtimes;
using Triggers.Runtimes.Bun;
using Triggers.Runtimes.Python;
using Triggers.Scripts;
using Triggers.Tests.Infrastructure;

namespace Triggers.Tests.Runtimes;

/// <summary>Scripts marked dedicated_worker, in real warm Bun and Python processes.</summary>
public sealed class DedicatedWorkerTests(BunFixture bun) : IClassFixture<BunFixture>, IDisposable
{
    private readonly BunRuntime _bun = new(Options.Create(new RuntimeOptions { Bun = bun.BunPath, DedicatedMaxMemoryMb = 300 }), Sandboxes.Bubblewrap);
    private readonly PythonRuntime _python = new(Options.Create(new RuntimeOptions { DedicatedMaxMemoryMb = 300 }), Sandboxes.Bubblewrap);

    public void Dispose()
    {
        _bun.Dispose();
        _python.Dispose();
    }

    // Each script counts its runs in module state, which only a warm process keeps, and prints what it is given.
    private static readonly Dictionary<ScriptLanguage, string> Counter = new()
    {
        [ScriptLanguage.Bun] = """
            let runs = 0;
            export async function main(payload: string) {
              runs++;
              console.log(`out ${payload}`);
              console.error(`err ${payload}`);
              if (payload === "crash") process.exit(3);
              if (payload === "hang") await new Promise(() => setInterval(() => {}, 1000));
              if (payload === "throw") throw new Error(`bad ${payload}`);
              if (payload === "hog") { const hog = []; while (true) hog.push(new Array(1_000_000).fill(runs)); }
              return runs;
            }
            """,
        [ScriptLanguage.Python3] = """
            import os, sys, time
            runs = 0
            def main(payload: str):
                global runs
                runs += 1
                print(f"out {payload}")
                print(f"err {payload}", file=sys.stderr)
                if payload == "crash":
                    os._exit(3)
                if payload == "hang":
                    time.sleep(3600)
                if payload == "throw":
                    raise ValueError(f"bad {payload}")
                if payload == "hog":
                    hog = []
                    while True:
                        hog.append(bytearray(50_000_000))
                return runs
            """,
    };

    public static TheoryData<ScriptLanguage> Languages => [ScriptLanguage.Bun, ScriptLanguage.Python3];

    [Theory, MemberData(nameof(Languages))]
    public async Task Jobs_reuse_one_warm_process_and_each_gets_only_its_own_logs_result_and_arguments(ScriptLanguage language)
    {
        for (var n = 1; n <= 3; n++)
        {
            var outcome = await RunAsync(language, Counter[language], $"job-{n}");
            Assert.True(outcome.Succeeded, $"{outcome.Error}\n{outcome.Logs}");
            Assert.Equal(n, outcome.Result!.GetValue<int>()); // the module loaded once: its counter goes on
            Assert.Equal($"out job-{n}\nerr job-{n}\n", outcome.Logs);
            Assert.Equal($"job-{n}", (string?)outcome.MainArgs["payload"]);
        }
    }

    [Theory, MemberData(nameof(Languages))]
    public async Task A_thrown_error_fails_its_job_and_keeps_the_process(ScriptLanguage language)
    {
        Assert.True((await RunAsync(language, Counter[language], "first")).Succeeded);
        var failed = await RunAsync(language, Counter[language], "throw");
        Assert.False(failed.Succeeded);
        Assert.Contains("bad throw", failed.Error!.Message);
        Assert.Equal(3, (await RunAsync(language, Counter[language], "third")).Result!.GetValue<int>());
    }

    [Theory, MemberData(nameof(Languages))]
    public async Task A_crash_fails_only_the_job_in_flight_and_the_next_job_gets_a_new_process(ScriptLanguage language)
    {
        Assert.Equal(1, (await RunAsync(language, Counter[language], "first")).Result!.GetValue<int>());
        var crashed = await RunAsync(language, Counter[language], "crash");
        Assert.False(crashed.Succeeded);
        Assert.Equal("DedicatedWorkerExited", crashed.Error!.Name);
        Assert.Contains("exited with code 3", crashed.Error.Message);
        Assert.Contains("out crash", crashed.Logs);
        var next = await RunAsync(language, Counter[language], "after");
        Assert.True(next.Succeeded, $"{next.Error}");
        Assert.Equal(1, next.Result!.GetValue<int>()); // a fresh process
    }

    [Theory, MemberData(nameof(Languages))]
    public async Task A_job_past_its_time_limit_is_killed_with_its_process_and_the_next_job_runs(ScriptLanguage language)
    {
        Assert.True((await RunAsync(language, Counter[language], "first")).Succeeded);
        var hung = await RunAsync(language, Counter[language], "hang", TimeSpan.FromSeconds(1));
        Assert.Equal("Timeout", hung.Error!.Name);
        var next = await RunAsync(language, Counter[language], "after");
        Assert.Equal(1, next.Result!.GetValue<int>());
    }

    [Theory, MemberData(nameof(Languages))]
    public async Task A_process_that_outgrows_its_memory_limit_is_replaced(ScriptLanguage language)
    {
        var hog = await RunAsync(language, Counter[language], "hog", TimeSpan.FromSeconds(60));
        Assert.Equal("DedicatedWorkerOverMemory", hog.Error!.Name);
        Assert.Equal(1, (await RunAsync(language, Counter[language], "after")).Result!.GetValue<int>());
    }

    [Theory, MemberData(nameof(Languages))]
    public async Task A_new_version_of_the_script_replaces_the_warm_process(ScriptLanguage language)
    {
        Assert.Equal(1, (await RunAsync(language, Counter[language], "old")).Result!.GetValue<int>());
        var changed = language == ScriptLanguage.Bun ? Counter[language].Replace("runs++;", "runs += 10;") : Counter[language].Replace("runs += 1\n", "runs += 10\n");
        Assert.Equal(10, (await RunAsync(language, changed, "new")).Result!.GetValue<int>());
    }

    [Theory, MemberData(nameof(Languages))]
    public async Task A_preprocessor_works_as_in_a_process_per_job(ScriptLanguage language)
    {
        var script = language == ScriptLanguage.Bun
            ? """
              export async function preprocessor(event: { kind: string; payload: string }) { return { text: atob(event.payload), kind: event.kind }; }
              export async function main(text: string, kind: string) { return `${kind}: ${text}`; }
              """
            : """
              import base64
              def preprocessor(event):
                  return {"text": base64.b64decode(event["payload"]).decode(), "kind": event["kind"]}
              def main(text: str, kind: str):
                  return f"{kind}: {text}"
              """;
        var @event = new JsonObject { ["kind"] = "kafka", ["payload"] = Convert.ToBase64String("hello"u8) };
        for (var n = 0; n < 2; n++)
        {
            var outcome = await Runtime(language).RunAsync(Run(language, script, "", @event), CancellationToken.None);
            Assert.True(outcome.Succeeded, $"{outcome.Error}");
            Assert.Equal("kafka: hello", outcome.Result!.GetValue<string>());
            Assert.Equal("hello", (string?)outcome.MainArgs["text"]);
        }
    }

    [Fact]
    public async Task A_chatty_job_in_a_warm_process_has_its_logs_capped_with_the_truncation_marker()
    {
        const string script = "export async function main(payload: string) { for (let i = 0; i < 3000; i++) console.log('x'.repeat(1000)); return payload; }";

        var outcome = await RunAsync(ScriptLanguage.Bun, script, "done");

        Assert.True(outcome.Succeeded, $"{outcome.Error}");
        Assert.InRange(outcome.Logs.Length, 1 << 20, (1 << 20) + 200);
        Assert.Contains("[logs truncated", outcome.Logs);
    }

    public static TheoryData<ScriptLanguage, string> VariableReaders => new()
    {
        { ScriptLanguage.Bun, "export async function main(payload: string) { return [process.env.WM_JOB_ID ?? null, process.env.WM_FLOW_JOB_ID ?? null]; }" },
        { ScriptLanguage.Python3, "import os\n\ndef main(payload: str):\n    return [os.environ.get('WM_JOB_ID'), os.environ.get('WM_FLOW_JOB_ID')]" },
    };

    [Theory]
    [MemberData(nameof(VariableReaders))]
    public async Task Each_job_of_a_warm_process_sees_its_own_contextual_variables_and_none_of_an_earlier_jobs(ScriptLanguage language, string script)
    {
        var first = await Runtime(language).RunAsync(Run(language, script, "1", null) with
        {
            Variables = new Dictionary<string, string> { ["WM_JOB_ID"] = "job-1", ["WM_FLOW_JOB_ID"] = "flow-1" },
        }, CancellationToken.None);
        var second = await Runtime(language).RunAsync(Run(language, script, "2", null) with
        {
            Variables = new Dictionary<string, string> { ["WM_JOB_ID"] = "job-2" },
        }, CancellationToken.None);

        Assert.True(first.Succeeded && second.Succeeded, $"{first.Error} {second.Error}");
        Assert.Equal("""["job-1","flow-1"]""", first.Result!.ToJsonString());
        Assert.Equal("""["job-2",null]""", second.Result!.ToJsonString());
    }

    private Task<ScriptOutcome> RunAsync(ScriptLanguage language, string script, string payload, TimeSpan? timeout = null) =>
        Runtime(language).RunAsync(Run(language, script, payload, null, timeout), CancellationToken.None);

    private ILanguageRuntime Runtime(ScriptLanguage language) => language == ScriptLanguage.Bun ? _bun : _python;

    private static ScriptRun Run(ScriptLanguage language, string script, string payload, JsonObject? @event, TimeSpan? timeout = null) =>
        new(language, script, ScriptAnalyzer.Analyze(language, script), new JsonObject { ["payload"] = payload }, @event,
            timeout ?? TimeSpan.FromSeconds(30), DedicatedWorkers.Key("ws", "u/test/dedicated", new Script { Language = language, Content = script }));
}
