using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Triggers.Runtimes;
using Triggers.Runtimes.Bash;
using Triggers.Runtimes.Sandbox;
using Triggers.Scripts;

namespace Triggers.Tests.Security;

/// <summary>
/// A job's processes together, not each alone, stay within its memory, and its files within its folder's size: the
/// attacks that held four times the per-process memory limit in four processes, and wrote ten times the per-file limit
/// to the host's disk in ten files. Each runs in a worker slot's sandbox and in a sandbox of its own; the unsandboxed
/// control, which has only the per-process limits, lets both through.
/// </summary>
public sealed class JobLimitTests
{
    private static readonly JobLimits Small = new() { MemoryMb = 512, TmpMb = 16, FileSizeMb = 32 };

    // Four processes of 300 MiB each, every one under the 512 MiB a process may hold; together 1.2 GiB.
    private const string FourProcesses = """
        for i in 1 2 3 4; do
          python3 -c 'import time; b = b"x" * (300 << 20); time.sleep(4)' &
        done
        held=0
        for process in $(jobs -p); do wait "$process" && held=$((held + 1)); done
        echo "held $held"
        """;

    // Ten files of 32 MiB, every one at the per-file limit; together 320 MiB.
    private const string TenFiles = """
        for i in $(seq 1 10); do head -c $((32 << 20)) /dev/zero > "file$i" 2>/dev/null; done
        echo "written $(cat file* | wc -c)"
        """;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Four_processes_together_cannot_hold_more_than_the_jobs_memory_limit(bool reuseSandbox)
    {
        using var sandbox = JobSandbox.Create(new SandboxOptions { Sandbox = SandboxMode.Bubblewrap, ReuseSandbox = reuseSandbox, JobDiskMb = 16, Limits = Small }, NullLogger.Instance);
        using var unsandboxed = JobSandbox.Create(new SandboxOptions { Sandbox = SandboxMode.None, Limits = Small }, NullLogger.Instance);

        var limited = await RunAsync(sandbox, FourProcesses);
        var control = await RunAsync(unsandboxed, FourProcesses);
        var next = await RunAsync(sandbox, "echo next");

        Assert.Matches(@"cgroup v\d: 512 MiB and 512 processes a job", sandbox.LimitsDescription);
        Assert.True(int.Parse(Line(limited.Logs, "held")) < 4, limited.Logs);
        Assert.Contains("went over its memory limit of 512 MiB (Workers:Limits:MemoryMb)", limited.Logs);
        Assert.Equal("4", Line(control.Logs, "held"));
        Assert.True(next.Succeeded, $"{next.Error}\n{next.Logs}");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_job_writes_no_more_than_its_folders_size_to_the_host(bool reuseSandbox)
    {
        using var sandbox = JobSandbox.Create(new SandboxOptions { Sandbox = SandboxMode.Bubblewrap, ReuseSandbox = reuseSandbox, JobDiskMb = 64, Limits = Small }, NullLogger.Instance);
        using var unsandboxed = JobSandbox.Create(new SandboxOptions { Sandbox = SandboxMode.None, JobDiskMb = 64, Limits = Small }, NullLogger.Instance);

        var limited = await RunAsync(sandbox, TenFiles);
        var control = await RunAsync(unsandboxed, TenFiles);
        var next = await RunAsync(sandbox, TenFiles);

        Assert.Contains("a 64 MiB folder", sandbox.LimitsDescription);
        Assert.InRange(long.Parse(Line(limited.Logs, "written")), 1, 64L << 20);
        Assert.Equal(320L << 20, long.Parse(Line(control.Logs, "written")));
        // The next job has the whole folder again: what the last one wrote went with it.
        Assert.InRange(long.Parse(Line(next.Logs, "written")), 60L << 20, 64L << 20);
    }

    private static Task<ScriptOutcome> RunAsync(JobSandbox sandbox, string script)
    {
        var runtime = new BashRuntime(Options.Create(new RuntimeOptions()), sandbox);
        var run = new ScriptRun(ScriptLanguage.Bash, script, ScriptAnalyzer.Analyze(ScriptLanguage.Bash, script), new JsonObject(), null, TimeSpan.FromSeconds(60));
        return runtime.RunAsync(run, CancellationToken.None);
    }

    private static string Line(string logs, string label) =>
        logs.Split('\n').Last(line => line.StartsWith(label, StringComparison.Ordinal))[label.Length..].Trim();
}
