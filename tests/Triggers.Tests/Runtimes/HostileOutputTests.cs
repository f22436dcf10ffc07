using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Triggers.Runtimes;
using Triggers.Runtimes.Bash;
using Triggers.Runtimes.Python;
using Triggers.Scripts;
using Triggers.Tests.Infrastructure;

namespace Triggers.Tests.Runtimes;

/// <summary>
/// Whatever a job does to its outputs, its run ends with an outcome a person can act on: the slot is never blocked
/// and the silo's memory never exhausted. Real python3 and bash processes.
/// </summary>
public sealed class HostileOutputTests
{
    // Generous: a run that blocks would never end, and the test fails on this limit rather than hanging.
    private static readonly TimeSpan RunLimit = TimeSpan.FromSeconds(60);

    private readonly ScriptRunner _runner = new([
        new PythonRuntime(Options.Create(new RuntimeOptions()), Sandboxes.Bubblewrap),
        new BashRuntime(Options.Create(new RuntimeOptions()), Sandboxes.Bubblewrap),
    ]);

    private async Task<ScriptOutcome> RunAsync(ScriptLanguage language, string script, JsonObject? args = null) =>
        await _runner.RunAsync(new ScriptRun(language, script, ScriptAnalyzer.Analyze(language, script), args ?? [], null, TimeSpan.FromSeconds(30)),
            CancellationToken.None).WaitAsync(RunLimit);

    [Theory]
    [InlineData("os.mkfifo('result.json')", "not a regular file")] // reading it would block until a writer came
    [InlineData("os.symlink('/dev/zero', 'result.json')", "symbolic link")] // reading it would never end
    [InlineData("open('result.json', 'wb').write(b' ' * (17 << 20))", "limit is 16 MiB")]
    public async Task A_result_file_replaced_by_the_job_fails_the_job_instead_of_blocking_or_exhausting_memory(string replace, string error)
    {
        var script = $"import os\n\ndef main():\n    if os.path.lexists('result.json'): os.remove('result.json')\n    {replace}\n    os._exit(0)\n";

        var outcome = await RunAsync(ScriptLanguage.Python3, script);

        Assert.False(outcome.Succeeded);
        Assert.Equal("InvalidResult", outcome.Error!.Name);
        Assert.Contains(error, outcome.Error.Message);
    }

    [Fact]
    public async Task A_bash_argument_far_over_the_command_line_limit_reaches_the_script_whole()
    {
        // Linux refuses a single command-line argument over 128 KiB; this one is 1 MiB with trailing newlines.
        var payload = new string('x', 1 << 20) + "\n\n";
        const string script = "payload=\"$1\"\nother=\"$2\"\nprintf '%s' \"$payload\" | wc -c\n";

        var outcome = await RunAsync(ScriptLanguage.Bash, script, new JsonObject { ["payload"] = payload, ["other"] = "y" });

        Assert.True(outcome.Succeeded, $"{outcome.Error}\n{outcome.Logs}");
        Assert.Equal((1 << 20) + 2, (int)outcome.Result!);
    }

    [Fact]
    public async Task Bash_arguments_keep_their_positions_and_count()
    {
        const string script = "a=\"$1\"\nb=\"$2\"\nc=\"$3\"\necho \"[$#|$a|$b|$c|$0]\"\n";

        var outcome = await RunAsync(ScriptLanguage.Bash, script, new JsonObject { ["a"] = "one two", ["c"] = "it's \"3\"" });

        Assert.True(outcome.Succeeded, $"{outcome.Error}\n{outcome.Logs}");
        Assert.Matches("""^\[3\|one two\|\|it's "3"\|.*script\.sh\]$""", (string)outcome.Result!);
    }
}
