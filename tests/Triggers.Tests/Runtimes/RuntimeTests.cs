using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Triggers.Runtimes;
using Triggers.Runtimes.Bash;
using Triggers.Runtimes.Bun;
using Triggers.Runtimes.Python;
using Triggers.Runtimes.Sandbox;
using Triggers.Scripts;
using Triggers.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace Triggers.Tests.Runtimes;

/// <summary>Runs real bun, python3 and bash processes.</summary>
public sealed class RuntimeTests(BunFixture bun, ITestOutputHelper output) : IClassFixture<BunFixture>
{
    private readonly ScriptRunner _runner = new([
        new BunRuntime(Options.Create(new RuntimeOptions { Bun = bun.BunPath }), Sandboxes.Bubblewrap),
        new PythonRuntime(Options.Create(new RuntimeOptions()), Sandboxes.Bubblewrap),
        new BashRuntime(Options.Create(new RuntimeOptions()), Sandboxes.Bubblewrap),
    ]);

    public static TheoryData<ScriptLanguage, string> NamedArguments => new()
    {
        {
            ScriptLanguage.Bun, """
            export async function main(name: string, count: number = 3, tags?: string[]) {
              return { greeting: `hello ${name}`, count, tags: tags ?? null };
            }
            """
        },
        {
            ScriptLanguage.Python3, """
            def main(name: str, count: int = 3, tags: list[str] | None = None):
                return {"greeting": f"hello {name}", "count": count, "tags": tags}
            """
        },
        {
            ScriptLanguage.Bash, """
            name="$1"
            count="${2:-3}"
            tags="${3:-null}"
            echo "{\"greeting\": \"hello $name\", \"count\": $count, \"tags\": $tags}"
            """
        },
    };

    [Theory]
    [MemberData(nameof(NamedArguments))]
    public async Task Main_gets_arguments_by_name_with_defaults_for_missing_ones_and_extras_ignored(ScriptLanguage language, string script)
    {
        var outcome = await RunAsync(language, script, """{"tags":["a","b"],"name":"Ada","unused":true}""");

        AssertSucceeded(outcome);
        AssertJson("""{"greeting":"hello Ada","count":3,"tags":["a","b"]}""", outcome.Result);
        AssertJson("""{"name":"Ada","tags":["a","b"]}""", outcome.MainArgs);
    }

    public static TheoryData<ScriptLanguage, string> Preprocessors => new()
    {
        {
            ScriptLanguage.Bun, """
            export async function preprocessor(event: { kind: "kafka"; payload: string; topic: string }) {
              if (event.kind !== "kafka") throw new Error("Expected a kafka event");
              const msg = JSON.parse(atob(event.payload));
              return { message_content: msg.content, topic: event.topic, ignored: 1 };
            }

            export async function main(message_content: string, topic: string) {
              return `${message_content} from ${topic}`;
            }
            """
        },
        {
            ScriptLanguage.Python3, """
            import base64
            import json

            async def preprocessor(event):
                if event["kind"] != "kafka":
                    raise ValueError("Expected a kafka event")
                msg = json.loads(base64.b64decode(event["payload"]))
                return {"message_content": msg["content"], "topic": event["topic"], "ignored": 1}

            def main(message_content: str, topic: str):
                return f"{message_content} from {topic}"
            """
        },
    };

    [Theory]
    [MemberData(nameof(Preprocessors))]
    public async Task Preprocessor_turns_the_event_into_mains_arguments(ScriptLanguage language, string script)
    {
        var payload = Convert.ToBase64String(Encoding.UTF8.GetBytes("""{"content":"order #7 shipped"}"""));

        var outcome = await RunAsync(language, script, args: """{"message_content":"not used"}""",
            @event: $$"""{"kind":"kafka","payload":"{{payload}}","brokers":["b:9092"],"topic":"orders","group_id":"g"}""");

        AssertSucceeded(outcome);
        AssertJson("\"order #7 shipped from orders\"", outcome.Result);
        AssertJson("""{"message_content":"order #7 shipped","topic":"orders"}""", outcome.MainArgs);
    }

    [Theory]
    [MemberData(nameof(Preprocessors))]
    public async Task Without_an_event_the_preprocessor_is_skipped_and_args_go_to_main(ScriptLanguage language, string script)
    {
        var outcome = await RunAsync(language, script, """{"message_content":"direct","topic":"api"}""");

        AssertSucceeded(outcome);
        AssertJson("\"direct from api\"", outcome.Result);
    }

    [Theory]
    [InlineData(ScriptLanguage.Bun, "export async function preprocessor(event) { return [1]; }\nexport async function main(a) { }")]
    [InlineData(ScriptLanguage.Python3, "def preprocessor(event):\n    return [1]\n\ndef main(a):\n    pass")]
    public async Task Preprocessor_must_return_an_object(ScriptLanguage language, string script)
    {
        var outcome = await RunAsync(language, script, @event: """{"kind":"kafka"}""");

        Assert.False(outcome.Succeeded);
        Assert.Equal("TypeError", outcome.Error!.Name);
        Assert.Contains("preprocessor must return", outcome.Error.Message);
    }

    public static TheoryData<ScriptLanguage, string> Printing => new()
    {
        {
            ScriptLanguage.Bun, """
            export async function main() {
              console.log("to stdout");
              console.error("to stderr");
              return 42;
            }
            """
        },
        {
            ScriptLanguage.Python3, """
            import sys

            def main():
                print("to stdout")
                print("to stderr", file=sys.stderr)
                return 42
            """
        },
        {
            ScriptLanguage.Bash, """
            echo "to stdout"
            echo "to stderr" >&2
            echo 42
            """
        },
    };

    [Theory]
    [MemberData(nameof(Printing))]
    public async Task Printed_output_goes_to_the_logs_not_the_result(ScriptLanguage language, string script)
    {
        var outcome = await RunAsync(language, script);

        AssertSucceeded(outcome);
        AssertJson("42", outcome.Result);
        Assert.Contains("to stdout\n", outcome.Logs);
        Assert.Contains("to stderr\n", outcome.Logs);
    }

    [Theory]
    [InlineData(ScriptLanguage.Bun, "export async function main() { console.log('nothing to return'); }")]
    [InlineData(ScriptLanguage.Python3, "def main():\n    print('nothing to return')")]
    [InlineData(ScriptLanguage.Bash, "true")]
    public async Task Main_returning_nothing_has_a_null_result(ScriptLanguage language, string script)
    {
        var outcome = await RunAsync(language, script);

        AssertSucceeded(outcome);
        Assert.Null(outcome.Result);
    }

    [Fact]
    public async Task Bun_exception_reports_its_class_name_message_and_stack()
    {
        const string script = """
            class OrderNotFound extends Error {}

            function lookUp(id: string) {
              throw new OrderNotFound(`no order ${id}`);
            }

            export async function main(id: string) {
              lookUp(id);
            }
            """;

        var outcome = await RunAsync(ScriptLanguage.Bun, script, """{"id":"A-1"}""");

        Assert.False(outcome.Succeeded);
        Assert.Equal("OrderNotFound", outcome.Error!.Name);
        Assert.Equal("no order A-1", outcome.Error.Message);
        Assert.Contains("lookUp", outcome.Error.Stack);
        Assert.DoesNotContain("wrapper.ts", outcome.Error.Stack);
        AssertJson("""{"id":"A-1"}""", outcome.MainArgs);
    }

    [Fact]
    public async Task Python_exception_reports_its_class_name_message_and_a_traceback_without_wrapper_frames()
    {
        const string script = """
            def look_up(order_id):
                raise LookupError(f"no order {order_id}")

            def main(order_id: str):
                look_up(order_id)
            """;

        var outcome = await RunAsync(ScriptLanguage.Python3, script, """{"order_id":"A-1"}""");

        Assert.False(outcome.Succeeded);
        Assert.Equal("LookupError", outcome.Error!.Name);
        Assert.Equal("no order A-1", outcome.Error.Message);
        Assert.Contains("in look_up", outcome.Error.Stack);
        Assert.Contains("LookupError: no order A-1", outcome.Error.Stack);
        Assert.DoesNotContain("wrapper.py", outcome.Error.Stack);
    }

    [Theory]
    [InlineData(ScriptLanguage.Bun, "export async function main() { const x = ; }", "BuildMessage")]
    // --no-install: an unknown package is an error, not a download.
    [InlineData(ScriptLanguage.Bun, "import { chunk } from 'lodash';\nexport async function main() { return chunk([1], 1); }", "ResolveMessage")]
    [InlineData(ScriptLanguage.Python3, "def main():\n    x = = 1", "SyntaxError")]
    [InlineData(ScriptLanguage.Python3, "import no_such_module\n\ndef main():\n    pass", "ModuleNotFoundError")]
    public async Task Script_that_cannot_be_loaded_is_an_error(ScriptLanguage language, string script, string expectedName)
    {
        var outcome = await RunAsync(language, script);

        Assert.False(outcome.Succeeded);
        Assert.Equal(expectedName, outcome.Error!.Name);
        Assert.NotNull(outcome.Error.Stack);
    }

    [Fact]
    public async Task Event_is_ignored_when_the_script_has_no_preprocessor()
    {
        var outcome = await RunAsync(ScriptLanguage.Bun, "export function main(a: number) { return a; }", """{"a":1}""",
            @event: """{"kind":"kafka","a":2}""");

        AssertSucceeded(outcome);
        AssertJson("1", outcome.Result);
        AssertJson("""{"a":1}""", outcome.MainArgs);
    }

    [Theory]
    [InlineData(ScriptLanguage.Bun, "export async function main() { console.error('giving up'); process.exit(3); }")]
    [InlineData(ScriptLanguage.Python3, "import sys\n\ndef main():\n    print('giving up', file=sys.stderr)\n    sys.exit(3)")]
    [InlineData(ScriptLanguage.Bash, "echo 'giving up' >&2\nexit 3")]
    public async Task Non_zero_exit_reports_the_code_and_the_end_of_stderr(ScriptLanguage language, string script)
    {
        var outcome = await RunAsync(language, script);

        Assert.False(outcome.Succeeded);
        Assert.Equal("ExitCode", outcome.Error!.Name);
        Assert.Contains("code 3", outcome.Error.Message);
        Assert.Contains("giving up", outcome.Error.Message);
    }

    [Theory]
    [InlineData(ScriptLanguage.Bun, "export async function main() { return 10n; }")]
    [InlineData(ScriptLanguage.Bun, "export async function main() { const a: any = {}; a.self = a; return a; }")]
    [InlineData(ScriptLanguage.Bun, "export async function main() { return () => 1; }")]
    [InlineData(ScriptLanguage.Python3, "def main():\n    return {1, 2}")]
    [InlineData(ScriptLanguage.Python3, "def main():\n    return float('nan')")]
    public async Task Result_that_is_not_json_serialisable_is_a_clear_error(ScriptLanguage language, string script)
    {
        var outcome = await RunAsync(language, script);

        Assert.False(outcome.Succeeded);
        Assert.Equal("ResultNotSerializable", outcome.Error!.Name);
        Assert.Contains("main's result cannot be converted to JSON", outcome.Error.Message);
    }

    [Theory]
    [InlineData(ScriptLanguage.Bun, "import { writeFileSync } from 'node:fs';\nexport async function main() { writeFileSync('result.json', 'garbage{'); process.exit(0); }")]
    [InlineData(ScriptLanguage.Python3, "import os\n\ndef main():\n    open('result.json', 'w').write('garbage{')\n    os._exit(0)")]
    public async Task Garbage_in_the_result_file_is_a_clear_error(ScriptLanguage language, string script)
    {
        var outcome = await RunAsync(language, script);

        Assert.False(outcome.Succeeded);
        Assert.Equal("InvalidResult", outcome.Error!.Name);
        Assert.Contains("result.json", outcome.Error.Message);
    }

    [Theory]
    [InlineData(ScriptLanguage.Bun, "export async function main() { process.exit(0); }")]
    [InlineData(ScriptLanguage.Python3, "import sys\n\ndef main():\n    sys.exit(0)")]
    public async Task Exiting_before_main_returns_is_an_error_even_with_code_zero(ScriptLanguage language, string script)
    {
        var outcome = await RunAsync(language, script);

        Assert.False(outcome.Succeeded);
        Assert.Equal("MissingResult", outcome.Error!.Name);
    }

    // Each background process sleeps for a time no other process on the machine does, so the test finds it by its
    // command line: inside the sandbox its pid is its PID namespace's, which means nothing outside.
    public static TheoryData<ScriptLanguage, string> Hanging => new()
    {
        {
            ScriptLanguage.Bun, """
            export async function main(marker: string) {
              Bun.spawn(["sleep", marker]);
              console.log("spawned");
              await Bun.sleep(300_000);
            }
            """
        },
        {
            ScriptLanguage.Python3, """
            import subprocess
            import time

            def main(marker: str):
                subprocess.Popen(["sleep", marker])
                print("spawned")
                time.sleep(300)
            """
        },
        {
            ScriptLanguage.Bash, """
            marker="$1"
            sleep "$marker" &
            echo spawned
            wait
            """
        },
    };

    [Theory]
    [MemberData(nameof(Hanging))]
    public async Task Hanging_job_times_out_and_its_whole_process_tree_is_killed(ScriptLanguage language, string script)
    {
        var marker = UniqueSleep();
        var clock = Stopwatch.StartNew();

        var outcome = await RunAsync(language, script, new JsonObject { ["marker"] = marker }.ToJsonString(),
            timeout: TimeSpan.FromSeconds(1.5));

        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(1.5), TimeSpan.FromSeconds(6));
        Assert.False(outcome.Succeeded);
        Assert.Equal("Timeout", outcome.Error!.Name);
        Assert.Contains("1.5 s", outcome.Error.Message);
        Assert.Contains("spawned", outcome.Logs);
        await AssertNoProcessSleepsAsync(marker);
    }

    [Fact]
    public async Task Background_processes_do_not_outlive_a_job_that_finished()
    {
        var marker = UniqueSleep();
        const string script = """
            marker="$1"
            sleep "$marker" &
            (setsid sleep "$marker" > /dev/null 2>&1 &)
            echo done
            """;
        var clock = Stopwatch.StartNew();

        var outcome = await RunAsync(ScriptLanguage.Bash, script, new JsonObject { ["marker"] = marker }.ToJsonString());

        AssertSucceeded(outcome);
        AssertJson("\"done\"", outcome.Result);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}: the orphan's open stdout held the job");
        await AssertNoProcessSleepsAsync(marker);
    }

    [Fact]
    public async Task Cancelling_kills_the_job_and_throws()
    {
        var marker = UniqueSleep();
        using var cancellation = new CancellationTokenSource();
        var run = RunAsync(ScriptLanguage.Bash, "marker=\"$1\"\nsleep \"$marker\" &\nwait",
            new JsonObject { ["marker"] = marker }.ToJsonString(), ct: cancellation.Token);

        await WaitUntilAsync(() => ProcessesSleeping(marker) > 0, "the job's background process never started");
        await cancellation.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        await AssertNoProcessSleepsAsync(marker);
    }

    public static TheoryData<ScriptLanguage, string> EnvironmentReaders => new()
    {
        {
            ScriptLanguage.Bun, """
            export async function main() {
              return { secret: process.env.TRIGGERS_RUNTIME_TEST_SECRET ?? null, names: Object.keys(process.env).sort(), home: process.env.HOME, cwd: process.cwd() };
            }
            """
        },
        {
            ScriptLanguage.Python3, """
            import os

            def main():
                names = sorted(name for name in os.environ if name != "LC_CTYPE")  # Python adds LC_CTYPE under C.UTF-8
                return {"secret": os.environ.get("TRIGGERS_RUNTIME_TEST_SECRET"), "names": names, "home": os.environ["HOME"], "cwd": os.getcwd()}
            """
        },
        {
            ScriptLanguage.Bash, """
            names=$(env | cut -d= -f1 | grep -v -x -e SHLVL -e _ -e OLDPWD | sort | sed 's/.*/"&"/' | paste -sd, -)
            echo "{\"secret\": ${TRIGGERS_RUNTIME_TEST_SECRET:-null}, \"names\": [$names], \"home\": \"$HOME\", \"cwd\": \"$PWD\"}"
            """
        },
    };

    [Theory]
    [MemberData(nameof(EnvironmentReaders))]
    public async Task Job_sees_only_a_cleared_environment_and_its_own_directory(ScriptLanguage language, string script)
    {
        Environment.SetEnvironmentVariable("TRIGGERS_RUNTIME_TEST_SECRET", "\"s3cret\"");
        // A sandbox of this test's own, so that the job after this one runs in the same slot's sandbox.
        using var sandbox = JobSandbox.Create(new SandboxOptions { Sandbox = SandboxMode.Bubblewrap }, NullLogger.Instance);
        var runner = new ScriptRunner([
            new BunRuntime(Options.Create(new RuntimeOptions { Bun = bun.BunPath }), sandbox),
            new PythonRuntime(Options.Create(new RuntimeOptions()), sandbox),
            new BashRuntime(Options.Create(new RuntimeOptions()), sandbox),
        ]);

        var outcome = await runner.RunAsync(Run(language, script, "{}", null, TimeSpan.FromSeconds(30)), CancellationToken.None);
        var next = await runner.RunAsync(Run(language, script, "{}", null, TimeSpan.FromSeconds(30)), CancellationToken.None);

        AssertSucceeded(outcome);
        var result = outcome.Result!.AsObject();
        Assert.Null(result["secret"]);
        Assert.Equal(["HOME", "LANG", "PATH", "PWD", "TMPDIR"], result["names"]!.AsArray().Select(name => name!.GetValue<string>()));
        var jobDirectory = result["home"]!.GetValue<string>();
        Assert.Equal(jobDirectory, result["cwd"]!.GetValue<string>());
        // The slot's sandbox empties its folder before its next job; that job has a directory of its own.
        AssertSucceeded(next);
        Assert.NotEqual(jobDirectory, next.Result!["home"]!.GetValue<string>());
        Assert.False(Directory.Exists(jobDirectory), "the job's directory should be deleted before the next job");
    }

    [Fact]
    public async Task Bash_gets_positional_arguments_as_strings_and_json_text()
    {
        const string script = """
            name="$1"
            count="$2"
            tags="$3"
            flag="${4:-off}"
            note="$5"
            echo "arguments: $#"
            echo "{\"name\": \"$name\", \"count\": $count, \"tags\": $tags, \"flag\": \"$flag\", \"note\": \"$note\"}"
            echo
            """;

        var outcome = await RunAsync(ScriptLanguage.Bash, script,
            """{"note":"line one","name":"Ada Lovelace","count":3,"tags":["é","b"],"flag":null}""");

        AssertSucceeded(outcome);
        AssertJson("""{"name":"Ada Lovelace","count":3,"tags":["é","b"],"flag":"off","note":"line one"}""", outcome.Result);
        Assert.Contains("arguments: 5", outcome.Logs);
    }

    [Fact]
    public async Task Bash_last_line_that_is_not_json_is_a_string_result()
    {
        var outcome = await RunAsync(ScriptLanguage.Bash, "echo '{\"not\": \"last\"}'\necho 'all done: 3 files'\n");

        AssertSucceeded(outcome);
        AssertJson("\"all done: 3 files\"", outcome.Result);
    }

    [Fact]
    public async Task Bash_trailing_missing_arguments_are_left_off()
    {
        var outcome = await RunAsync(ScriptLanguage.Bash, "a=\"$1\"\nb=\"$2\"\nc=\"$3\"\necho \"$#\"", """{"b":"x"}""");

        AssertSucceeded(outcome);
        AssertJson("2", outcome.Result);
    }

    [Fact]
    public async Task Logs_are_capped_with_a_truncation_marker()
    {
        const string script = "def main():\n    for _ in range(3000):\n        print('x' * 1000)\n    return 'finished'";

        var outcome = await RunAsync(ScriptLanguage.Python3, script);

        AssertSucceeded(outcome);
        AssertJson("\"finished\"", outcome.Result);
        Assert.InRange(outcome.Logs.Length, 1 << 20, (1 << 20) + 200);
        Assert.Contains("[logs truncated", outcome.Logs);
    }

    [Fact]
    public async Task Missing_interpreter_is_reported_with_the_configuration_key()
    {
        var runner = new ScriptRunner([new BunRuntime(Options.Create(new RuntimeOptions { Bun = "/nowhere/bun" }), Sandboxes.Bubblewrap)]);
        const string script = "export async function main() { }";

        var outcome = await runner.RunAsync(Run(ScriptLanguage.Bun, script, "{}", null, TimeSpan.FromSeconds(5)), CancellationToken.None);

        Assert.False(outcome.Succeeded);
        Assert.Equal("RuntimeNotFound", outcome.Error!.Name);
        Assert.Contains("Runtimes:Bun", outcome.Error.Message);
    }

    [Fact]
    public void The_python_package_index_sits_beside_the_python_interpreter_setting_without_replacing_it()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Runtimes:Python:IndexUrl"] = "https://pypi.example/simple" })
            .Build();
        using var services = new ServiceCollection().AddLogging().AddScriptRuntimes(configuration).BuildServiceProvider();
        var options = services.GetRequiredService<IOptions<RuntimeOptions>>().Value;
        Assert.Equal("python3", options.Python);
        Assert.Equal("https://pypi.example/simple", options.PythonPackages.IndexUrl);
    }

    [Fact]
    public async Task Runtimes_are_registered_and_configured_from_the_Runtimes_section()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Runtimes:Bun"] = bun.BunPath })
            .Build();
        using var services = new ServiceCollection().AddLogging().AddScriptRuntimes(configuration).BuildServiceProvider();
        var runner = services.GetRequiredService<ScriptRunner>();

        var outcome = await runner.RunAsync(
            Run(ScriptLanguage.Bun, "export function main(x: number) { return x * 2; }", """{"x":21}""", null, TimeSpan.FromSeconds(10)),
            CancellationToken.None);

        AssertSucceeded(outcome);
        AssertJson("42", outcome.Result);
        Assert.Equal(3, services.GetServices<ILanguageRuntime>().Count());
    }

    [Theory]
    [InlineData(ScriptLanguage.Bun, "export async function main() { return 1; }")]
    [InlineData(ScriptLanguage.Python3, "def main():\n    return 1")]
    [InlineData(ScriptLanguage.Bash, "echo 1")]
    public async Task Trivial_job_is_quick(ScriptLanguage language, string script)
    {
        await RunAsync(language, script); // warm up the host side
        var timings = new List<double>();
        for (var i = 0; i < 5; i++)
        {
            var clock = Stopwatch.StartNew();
            AssertSucceeded(await RunAsync(language, script));
            timings.Add(clock.Elapsed.TotalMilliseconds);
        }

        output.WriteLine($"{language}: {string.Join(", ", timings.Select(ms => $"{ms:0.0} ms"))}");
        Assert.True(timings.Min() < 2000, $"a trivial {language} job took {timings.Min()} ms");
    }

    private Task<ScriptOutcome> RunAsync(
        ScriptLanguage language, string script, string args = "{}", string? @event = null, TimeSpan? timeout = null,
        CancellationToken ct = default) =>
        _runner.RunAsync(Run(language, script, args, @event, timeout ?? TimeSpan.FromSeconds(30)), ct);

    private static ScriptRun Run(ScriptLanguage language, string script, string args, string? @event, TimeSpan timeout) =>
        new(language, script, ScriptAnalyzer.Analyze(language, script), JsonNode.Parse(args)!.AsObject(),
            @event is null ? null : JsonNode.Parse(@event)!.AsObject(), timeout);

    private static void AssertSucceeded(ScriptOutcome outcome) =>
        Assert.True(outcome.Succeeded, $"{outcome.Error}\nLogs:\n{outcome.Logs}");

    private static void AssertJson(string expected, JsonNode? actual) =>
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), actual), $"expected {expected}, got {actual?.ToJsonString() ?? "null"}");

    /// <summary>An argument for <c>sleep</c> (300 s and some) that names one test's background processes.</summary>
    private static string UniqueSleep() => $"300.{Random.Shared.Next(100_000, 999_999)}";

    private static async Task AssertNoProcessSleepsAsync(string marker) =>
        await WaitUntilAsync(() => ProcessesSleeping(marker) == 0, $"a 'sleep {marker}' process is still running");

    /// <summary>Live (not zombie) processes on the machine running <c>sleep marker</c>.</summary>
    private static int ProcessesSleeping(string marker) =>
        Directory.EnumerateDirectories("/proc").Count(directory =>
        {
            try
            {
                var stat = File.ReadAllText(Path.Combine(directory, "stat"));
                return stat[(stat.LastIndexOf(')') + 2)..][0] != 'Z'
                    && File.ReadAllText(Path.Combine(directory, "cmdline")) == $"sleep\0{marker}\0";
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or IndexOutOfRangeException) { return false; }
        });

    private static async Task WaitUntilAsync(Func<bool> condition, string? failure = null)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail(failure ?? "condition not met within 5 s");
            await Task.Delay(20);
        }
    }
}
