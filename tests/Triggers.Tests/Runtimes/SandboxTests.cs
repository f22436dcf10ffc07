using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
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

namespace Triggers.Tests.Runtimes;

/// <summary>
/// Hostile scripts in real bubblewrap sandboxes: what a job can see, write and use up, and that this process (standing
/// in for the silo) is unharmed and runs the next job. Where it matters, the same script runs unsandboxed as the
/// control, to show the test would catch a sandbox that let it through.
/// </summary>
public sealed class SandboxTests(BunFixture bun) : IClassFixture<BunFixture>
{
    [Fact]
    public async Task A_job_sees_neither_the_silos_environment_nor_its_files_nor_other_processes()
    {
        // A variable of this process's own start-up environment (what /proc shows), and a file only mount namespaces hide.
        var silosVariable = File.ReadAllText("/proc/self/environ").Split('\0')
            .First(entry => entry.Contains('=') && !entry.StartsWith("PATH=", StringComparison.Ordinal) && !entry.StartsWith("HOME=", StringComparison.Ordinal) && !entry.StartsWith("LANG=", StringComparison.Ordinal) && !entry.StartsWith("PWD=", StringComparison.Ordinal));
        var silosFile = Path.Combine(Directory.CreateTempSubdirectory("sandbox-secret-").FullName, "secret");
        File.WriteAllText(silosFile, "the silo's secret");
        File.SetUnixFileMode(Path.GetDirectoryName(silosFile)!, (UnixFileMode)0b111_101_101);
        File.SetUnixFileMode(silosFile, (UnixFileMode)0b110_100_100);
        const string script = """
            variable="$1"
            file="$2"
            silo="$3"
            echo "uid $(id -u)"
            echo "processes $(ls /proc | grep -c '^[0-9]')"
            grep -qsF "$variable" "/proc/$silo/environ" && echo "LEAK: a process's environment"
            cat "$file" 2>/dev/null && echo "LEAK: the silo's file"
            [ -e /work ] || [ -e /root/.dotnet ] && echo "LEAK: the silo's directories"
            echo checked
            """;
        // This process's own environ, not every process's: other tests' processes that run as the jobs' user (the
        // embedded PostgreSQL) inherit this environment too, and the unsandboxed control could read theirs.
        var args = new JsonObject { ["variable"] = silosVariable, ["file"] = silosFile, ["silo"] = Environment.ProcessId };

        var sandboxed = await RunAsync(Sandboxes.Bubblewrap, ScriptLanguage.Bash, script, args);
        var unsandboxed = await RunAsync(Unsandboxed, ScriptLanguage.Bash, script, args);

        AssertSucceeded(sandboxed);
        Assert.DoesNotContain("LEAK", sandboxed.Logs);
        Assert.Contains("checked", sandboxed.Logs);
        var processes = int.Parse(Line(sandboxed.Logs, "processes"));
        // bash, the command substitution's subshell, ls and grep; and the sandbox's init and the job launcher
        Assert.InRange(processes, 1, 6);
        if (Environment.IsPrivilegedProcess) Assert.Equal("65534", Line(sandboxed.Logs, "uid"));
        // Unsandboxed, the same job reads the file; and this process's environment too, unless it is root and so hands
        // jobs a user of their own even then.
        Assert.Contains("LEAK: the silo's file", unsandboxed.Logs);
        if (!Environment.IsPrivilegedProcess) Assert.Contains("LEAK: a process's environment", unsandboxed.Logs);
        else Assert.DoesNotContain("LEAK: a process's environment", unsandboxed.Logs);
    }

    [Fact]
    public async Task A_job_writes_only_in_its_own_directory()
    {
        // Writable by anyone, and outside /tmp (which the sandbox replaces anyway): only the sandbox stands in the way.
        var outside = Path.Combine("/var/tmp", $"sandbox-outside-{Guid.NewGuid():N}");
        Directory.CreateDirectory(outside);
        File.SetUnixFileMode(outside, (UnixFileMode)0b111_111_111);
        var hostTmp = $"/tmp/sandbox-test-{Guid.NewGuid():N}";
        const string script = """
            outside="$1"
            host_tmp="$2"
            echo x > "$outside/written" 2>/dev/null && echo "LEAK: a folder outside"
            echo x > "$host_tmp"
            echo inside > ./written && cat ./written
            """;
        var args = new JsonObject { ["outside"] = outside, ["host_tmp"] = hostTmp };

        try
        {
            var sandboxed = await RunAsync(Sandboxes.Bubblewrap, ScriptLanguage.Bash, script, args);
            Assert.False(File.Exists(Path.Combine(outside, "written")));
            Assert.False(File.Exists(hostTmp), "the job's /tmp is its own");
            var unsandboxed = await RunAsync(Unsandboxed, ScriptLanguage.Bash, script, args);

            AssertSucceeded(sandboxed);
            Assert.DoesNotContain("LEAK", sandboxed.Logs);
            Assert.Contains("inside", sandboxed.Logs);
            Assert.Contains("LEAK: a folder outside", unsandboxed.Logs);
        }
        finally
        {
            Directory.Delete(outside, recursive: true);
            File.Delete(hostTmp);
        }
    }

    [Fact]
    public async Task A_fork_bomb_stops_at_the_process_limit_and_the_next_job_runs()
    {
        var sandbox = Sandbox(new SandboxOptions { Sandbox = SandboxMode.Bubblewrap, Limits = { Processes = 64 } });
        const string script = """
            bomb() { bomb | bomb & }
            bomb
            sleep 2
            echo survived
            """;

        // The shell retries a refused fork for a while before it gives up; the time limit is far beyond that.
        var outcome = await RunAsync(sandbox, ScriptLanguage.Bash, script, timeout: TimeSpan.FromSeconds(90));
        var next = await RunAsync(sandbox, ScriptLanguage.Bash, "echo next");

        Assert.Contains("Resource temporarily unavailable", outcome.Logs);
        Assert.NotEqual("Timeout", outcome.Error?.Name);
        AssertSucceeded(next);
    }

    public static TheoryData<ScriptLanguage, string> FourGibibytes => new()
    {
        {
            ScriptLanguage.Bun, """
            export async function main() {
              const chunks = [];
              for (let i = 0; i < 64; i++) chunks.push(new Uint8Array(64 << 20).fill(1));
              return chunks.length;
            }
            """
        },
        {
            ScriptLanguage.Python3, """
            def main():
                chunks = [bytearray(64 << 20) for _ in range(64)]
                return len(chunks)
            """
        },
    };

    [Theory]
    [MemberData(nameof(FourGibibytes))]
    public async Task Allocating_4_GiB_fails_the_job_at_the_memory_limit_and_the_next_job_runs(ScriptLanguage language, string script)
    {
        var outcome = await RunAsync(Sandboxes.Bubblewrap, language, script);
        var next = await RunAsync(Sandboxes.Bubblewrap, language, language == ScriptLanguage.Bun
            ? "export function main() { return 1; }"
            : "def main():\n    return 1");

        Assert.False(outcome.Succeeded, "a 4 GiB allocation should fail under the default 2 GiB limit");
        Assert.Contains("memory", $"{outcome.Error?.Name} {outcome.Error?.Message}", StringComparison.OrdinalIgnoreCase);
        AssertSucceeded(next);
    }

    [Fact]
    public async Task A_job_past_its_cpu_time_is_killed_and_one_writing_past_the_file_size_limit_fails()
    {
        var sandbox = Sandbox(new SandboxOptions { Sandbox = SandboxMode.Bubblewrap, Limits = { CpuSeconds = 1, FileSizeMb = 1 } });

        var spinning = await RunAsync(sandbox, ScriptLanguage.Bash, "while :; do :; done", timeout: TimeSpan.FromSeconds(30));
        var writing = await RunAsync(sandbox, ScriptLanguage.Bash, "head -c 2000000 /dev/zero > big\necho \"exit $?\"\nstat -c %s big");

        Assert.False(spinning.Succeeded);
        Assert.NotEqual("Timeout", spinning.Error?.Name); // the CPU limit ended it, long before the 30 s
        Assert.Contains("File size limit exceeded", writing.Logs);
        Assert.Equal("1048576", Line(writing.Logs, "").Trim());
    }

    [Fact]
    public async Task An_isolated_job_reaches_out_and_the_APIs_port_but_no_other_port_of_the_host_and_without_network_nothing()
    {
        using var api = Listening(IPAddress.Loopback);
        using var silo = Listening(IPAddress.Loopback); // as the cluster ports and the development broker do
        using var wildcard = Listening(IPAddress.Any);
        int Port(TcpListener listener) => ((IPEndPoint)listener.LocalEndpoint).Port;
        var machine = System.Net.NetworkInformation.NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.NetworkInterfaceType != System.Net.NetworkInformation.NetworkInterfaceType.Loopback)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses).Select(a => a.Address)
            .First(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork);
        var script = $$"""
            probe() { if timeout 5 bash -c "exec 3<>/dev/tcp/$2/$3" 2>/dev/null; then echo "$1 open"; else echo "$1 closed"; fi; }
            probe api 127.0.0.1 {{Port(api)}}
            probe silo 127.0.0.1 {{Port(silo)}}
            probe wildcard 127.0.0.1 {{Port(wildcard)}}
            probe wildcard-by-address {{machine}} {{Port(wildcard)}}
            probe outbound deb.debian.org 80
            grep -qi ':{{Port(silo):X4}} ' /proc/net/tcp && echo "host sockets seen" || echo "host sockets hidden"
            """;
        var isolated = JobSandbox.Create(new SandboxOptions { Sandbox = SandboxMode.Bubblewrap }, NullLogger.Instance, () => $"http://127.0.0.1:{Port(api)}");
        var offline = Sandbox(new SandboxOptions { Sandbox = SandboxMode.Bubblewrap, Network = "none" });

        var inside = await RunAsync(isolated, ScriptLanguage.Bash, script);
        var withoutNetwork = await RunAsync(offline, ScriptLanguage.Bash, script);

        AssertSucceeded(inside);
        foreach (var line in new[] { "api open", "silo closed", "wildcard closed", "wildcard-by-address closed", "outbound open", "host sockets hidden" })
            Assert.Contains(line, inside.Logs);
        AssertSucceeded(withoutNetwork);
        foreach (var line in new[] { "api closed", "silo closed", "outbound closed", "host sockets hidden" })
            Assert.Contains(line, withoutNetwork.Logs);
    }

    [Fact]
    public async Task A_job_that_swaps_its_directory_for_a_link_does_not_get_a_host_file_read_as_its_result()
    {
        // A host folder the job cannot see, holding a file named like a result: the silo must not read it for the job.
        var host = Directory.CreateTempSubdirectory("host-secret-");
        try
        {
            File.WriteAllText(Path.Combine(host.FullName, "result.json"), """{"ok":true,"result":"the host's secret"}""");
            const string script = """
                import os

                def main(target: str):
                    here = os.getcwd()
                    os.rename(here, here + ".moved")
                    os.symlink(target, here)
                    return "mine"
                """;
            foreach (var sandbox in new[] { Sandboxes.Bubblewrap, Unsandboxed })
            {
                var outcome = await RunAsync(sandbox, ScriptLanguage.Python3, script, new JsonObject { ["target"] = host.FullName });
                Assert.False(outcome.Succeeded, $"the job succeeded with {outcome.Result?.ToJsonString()}");
                Assert.DoesNotContain("the host's secret", outcome.Result?.ToJsonString() ?? "");
                Assert.Contains("symbolic link", outcome.Error!.Message);
            }
        }
        finally { host.Delete(recursive: true); }
    }

    private static TcpListener Listening(IPAddress address)
    {
        var listener = new TcpListener(address, 0);
        listener.Start();
        return listener;
    }

    [Fact]
    public async Task A_dedicated_workers_process_is_sandboxed_too()
    {
        const string script = """
            import os

            def main(payload: str):
                return {"uid": os.getuid(), "processes": sum(name.isdigit() for name in os.listdir("/proc"))}
            """;
        var runtime = new PythonRuntime(Options.Create(new RuntimeOptions()), Sandboxes.Bubblewrap);
        var run = new ScriptRun(ScriptLanguage.Python3, script, ScriptAnalyzer.Analyze(ScriptLanguage.Python3, script),
            new JsonObject { ["payload"] = "" }, null, TimeSpan.FromSeconds(30),
            DedicatedWorkers.Key("ws", "u/test/sandboxed", new Script { Language = ScriptLanguage.Python3, Content = script }));

        var outcome = await runtime.RunAsync(run, CancellationToken.None);
        runtime.Dispose();

        AssertSucceeded(outcome);
        Assert.Equal(1, outcome.Result!["processes"]!.GetValue<int>());
        if (Environment.IsPrivilegedProcess) Assert.Equal(65534, outcome.Result!["uid"]!.GetValue<int>());
    }

    [Fact]
    public async Task An_interpreter_the_jobs_user_cannot_reach_fails_the_job_with_what_to_change()
    {
        // Only the silo's user may enter this folder (CI runs as root, whose jobs run as uid 65534).
        var hidden = Directory.CreateTempSubdirectory("sandbox-hidden-").FullName;
        var bash = Path.Combine(hidden, "bash");
        File.Copy("/usr/bin/bash", bash);
        var runtime = new BashRuntime(Options.Create(new RuntimeOptions { Bash = bash }), Sandboxes.Bubblewrap);
        try
        {
            var outcome = await runtime.RunAsync(new ScriptRun(ScriptLanguage.Bash, "echo hi", ScriptAnalyzer.Analyze(ScriptLanguage.Bash, "echo hi"), [], null, TimeSpan.FromSeconds(30)), CancellationToken.None);

            Assert.False(outcome.Succeeded);
            Assert.Equal("SandboxFailed", outcome.Error!.Name);
            Assert.Contains(bash, outcome.Error.Message);
            Assert.Contains("Runtimes:Bash", outcome.Error.Message);
        }
        finally
        {
            Directory.Delete(hidden, recursive: true);
        }
    }

    [Fact]
    public async Task Consecutive_jobs_share_a_slots_sandbox_and_nothing_of_one_job_reaches_the_next()
    {
        // The first job leaves something in every place it can write, an IPC object and a process; the second looks.
        const string leave = """
            echo "namespace $(readlink /proc/self/ns/pid)"
            echo "pid $$"
            echo left > /tmp/left; echo left > /dev/shm/left; echo left > "$HOME/left"; echo left > "$HOME/../left"
            mkdir -p /tmp/deep/a/b && echo left > /tmp/deep/a/b/left && chmod 000 /tmp/deep/a
            ipcmk -M 4096 >/dev/null && echo "segments $(ipcs -m | grep -c '^0x')"
            setsid sleep 300 > /dev/null 2>&1 &
            echo /etc > /etc/left 2>/dev/null && echo "LEAK: / is writable"
            echo /dev > /dev/left 2>/dev/null && echo "LEAK: /dev is writable"
            # The sandbox's init is the launcher, which holds the silo's pipes: neither reachable nor stoppable.
            ls /proc/1/fd/ > /dev/null 2>&1 && echo "LEAK: the launcher's descriptors"
            kill -STOP 1 2>/dev/null; kill -KILL 1 2>/dev/null
            echo done
            chmod 000 "$HOME/.." /dev/shm /tmp
            """;
        const string look = """
            echo "namespace $(readlink /proc/self/ns/pid)"
            # What may be there: this job's directory, and the folder it is in (the slot's, mounted in /tmp).
            ls -A /tmp /dev/shm "$HOME/.." 2>&1 | grep -v -e '^$' -e ':$' -e "^$(basename "$HOME")$" -e "^$(basename "$(dirname "$HOME")")$" | sed 's/^/LEAK: /'
            echo "segments $(ipcs -m | grep -c '^0x')"
            touch /tmp/writable /dev/shm/writable || echo "LEAK: a folder the last job locked"
            grep -l '^sleep' /proc/[0-9]*/cmdline 2>/dev/null | sed 's/^/LEAK: a process /'
            echo done
            """;
        var reused = Sandbox(new SandboxOptions { Sandbox = SandboxMode.Bubblewrap });
        var perJob = Sandbox(new SandboxOptions { Sandbox = SandboxMode.Bubblewrap, ReuseSandbox = false });

        var first = await RunAsync(reused, ScriptLanguage.Bash, leave);
        var second = await RunAsync(reused, ScriptLanguage.Bash, look);
        var (alone, control) = (await RunAsync(perJob, ScriptLanguage.Bash, "echo \"pid $$\""), await RunAsync(perJob, ScriptLanguage.Bash, "echo \"pid $$\""));

        AssertSucceeded(first);
        AssertSucceeded(second);
        Assert.Equal("1", Line(first.Logs, "segments"));
        Assert.DoesNotContain("LEAK", first.Logs);
        // The same sandbox (its PID namespace), and nothing of the first job in it.
        Assert.Equal(Line(first.Logs, "namespace"), Line(second.Logs, "namespace"));
        Assert.DoesNotContain("LEAK", second.Logs);
        Assert.Equal("0", Line(second.Logs, "segments"));
        Assert.Contains("done", second.Logs);
        // Without reuse, every job is the init of a PID namespace, which ends with its init: each has a sandbox of its
        // own. (Comparing namespace inodes would not show it: a freed namespace's number is given to the next.)
        Assert.Equal("1", Line(alone.Logs, "pid"));
        Assert.Equal("1", Line(control.Logs, "pid"));
        Assert.NotEqual("1", Line(first.Logs, "pid"));
    }

    [Fact]
    public async Task A_reused_sandbox_ends_a_job_past_its_time_keeps_running_jobs_and_reports_an_interpreter_that_cannot_start()
    {
        var sandbox = Sandbox(new SandboxOptions { Sandbox = SandboxMode.Bubblewrap });
        const string where = "echo \"namespace $(readlink /proc/self/ns/pid)\"";
        // An interpreter the sandbox holds but cannot execute: its own interpreter line names nothing.
        var folder = Path.Combine("/var/tmp", $"sandbox-interpreter-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        File.SetUnixFileMode(folder, (UnixFileMode)0b111_101_101);
        var broken = Path.Combine(folder, "bash");
        File.WriteAllText(broken, "#!/nonexistent/interpreter\n");
        File.SetUnixFileMode(broken, (UnixFileMode)0b111_101_101);
        try
        {
            var hung = await RunAsync(sandbox, ScriptLanguage.Bash, where + "; sleep 300", timeout: TimeSpan.FromSeconds(1));
            var next = await RunAsync(sandbox, ScriptLanguage.Bash, where);
            var cannotStart = await new BashRuntime(Options.Create(new RuntimeOptions { Bash = broken }), sandbox)
                .RunAsync(new ScriptRun(ScriptLanguage.Bash, "echo hi", ScriptAnalyzer.Analyze(ScriptLanguage.Bash, "echo hi"), [], null, TimeSpan.FromSeconds(30)), CancellationToken.None);

            Assert.Equal("Timeout", hung.Error?.Name);
            AssertSucceeded(next);
            // Only the job was ended: the next one ran in the same sandbox.
            Assert.Equal(Line(hung.Logs, "namespace"), Line(next.Logs, "namespace"));
            Assert.Equal("ExitCode", cannotStart.Error?.Name);
            Assert.Contains($"could not start {broken}: No such file or directory", cannotStart.Error!.Message);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task A_job_that_leaves_what_cannot_be_emptied_gets_its_outcome_and_the_next_job_a_new_sandbox()
    {
        var sandbox = Sandbox(new SandboxOptions { Sandbox = SandboxMode.Bubblewrap });
        const string where = "echo \"namespace $(readlink /proc/self/ns/pid)\"";
        // Deeper than the launcher empties: it reports this job's end, then gives the sandbox up.
        var deep = await RunAsync(sandbox, ScriptLanguage.Bash, where + "\ncd /tmp && for i in $(seq 300); do mkdir d && cd d; done\necho deep");
        var next = await RunAsync(sandbox, ScriptLanguage.Bash, where + "\nls -A /tmp");

        AssertSucceeded(deep);
        Assert.Contains("deep", deep.Logs);
        AssertSucceeded(next);
        Assert.NotEqual(Line(deep.Logs, "namespace"), Line(next.Logs, "namespace"));
        Assert.DoesNotContain("d\n", next.Logs);
    }

    [Fact]
    public void A_slots_sandbox_is_reused_for_the_same_files_and_replaced_when_a_bound_folder_changes()
    {
        using var sandbox = Sandbox(new SandboxOptions { Sandbox = SandboxMode.Bubblewrap });
        var installed = Directory.CreateTempSubdirectory("sandbox-installed-").FullName;
        File.SetUnixFileMode(installed, (UnixFileMode)0b111_101_101);
        try
        {
            var first = sandbox.RentLauncher("/bin/true", [installed])!;
            sandbox.ReturnLauncher(first);
            var again = sandbox.RentLauncher("/bin/true", [installed])!;
            sandbox.ReturnLauncher(again);
            // Installed again at the same path: a sandbox that bound the old folder would show the old (or no) files.
            Directory.Delete(installed);
            Directory.CreateDirectory(installed);
            File.SetUnixFileMode(installed, (UnixFileMode)0b111_101_101);
            File.SetLastWriteTimeUtc(installed, DateTime.UtcNow.AddMinutes(1));
            var renewed = sandbox.RentLauncher("/bin/true", [installed])!;
            sandbox.ReturnLauncher(renewed);

            Assert.Same(first, again);
            Assert.NotSame(first, renewed);
            Assert.False(first.IsAlive, "the sandbox holding the old folder is stopped");
            Assert.True(renewed.IsAlive);
        }
        finally
        {
            Directory.Delete(installed, recursive: true);
        }
    }

    [Fact]
    public void Bubblewrap_that_cannot_work_stops_a_silo_that_requires_it_and_under_auto_runs_no_job_at_all()
    {
        // A user id setpriv refuses makes the trial job fail, as a missing bwrap or a blocked user namespace would: the
        // silo must not start with required bubblewrap, and under auto it runs nothing rather than run jobs unsandboxed.
        // (Runs as root, as CI does: otherwise the silo cannot hand jobs a user and ignores the id.)
        var options = new SandboxOptions { Sandbox = SandboxMode.Bubblewrap, SandboxUid = -5 };

        var error = Assert.Throws<InvalidOperationException>(() => JobSandbox.Create(options, NullLogger.Instance));
        var fallback = JobSandbox.Create(new SandboxOptions { Sandbox = SandboxMode.Auto, SandboxUid = -5 }, NullLogger.Instance);

        Assert.Contains("Workers:Sandbox is bubblewrap", error.Message);
        Assert.Contains("trial job failed", error.Message);
        Assert.Contains("trial job failed", fallback.Unavailable);
        var refused = Assert.Throws<InvalidOperationException>(() =>
        {
            using var directory = JobDirectory.Create();
            fallback.StartInfo(new JobCommand("/bin/true", [], directory), out _);
        });
        Assert.Contains("runs no jobs", refused.Message);
    }

    private static readonly JobSandbox Unsandboxed = Sandbox(new SandboxOptions { Sandbox = SandboxMode.None });

    private static JobSandbox Sandbox(SandboxOptions options) => JobSandbox.Create(options, NullLogger.Instance);

    private Task<ScriptOutcome> RunAsync(JobSandbox sandbox, ScriptLanguage language, string script, JsonObject? args = null, TimeSpan? timeout = null)
    {
        ILanguageRuntime runtime = language switch
        {
            ScriptLanguage.Bun => new BunRuntime(Options.Create(new RuntimeOptions { Bun = bun.BunPath }), sandbox),
            ScriptLanguage.Python3 => new PythonRuntime(Options.Create(new RuntimeOptions()), sandbox),
            _ => new BashRuntime(Options.Create(new RuntimeOptions()), sandbox),
        };
        var run = new ScriptRun(language, script, ScriptAnalyzer.Analyze(language, script), args ?? [], null, timeout ?? TimeSpan.FromSeconds(60));
        return runtime.RunAsync(run, CancellationToken.None);
    }

    /// <summary>The rest of the last log line that starts with <paramref name="label"/>.</summary>
    private static string Line(string logs, string label) =>
        logs.Split('\n').Last(line => line.StartsWith(label, StringComparison.Ordinal) && line.Length > 0)[label.Length..].Trim();

    private static void AssertSucceeded(ScriptOutcome outcome) =>
        Assert.True(outcome.Succeeded, $"{outcome.Error}\nLogs:\n{outcome.Logs}");
}
