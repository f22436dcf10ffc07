using System.Diagnostics;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Triggers.Runtimes;
using Triggers.Runtimes.Bash;
using Triggers.Runtimes.Bun;
using Triggers.Runtimes.Python;
using Triggers.Runtimes.Sandbox;
using Triggers.Scripts;

namespace Triggers.Benchmarks;

/// <summary>
/// What the job sandbox costs per job: the same trivial script run as process-per-job jobs through the language
/// runtime, on two lanes like two worker slots, without a sandbox (the baseline), in a bubblewrap sandbox per job, and in
/// each lane's reused sandbox (the job launcher, the default), each of the two with the host's network and with a network
/// of its own (pasta, the default), in alternating rounds. No silo and no database: only the process start that the
/// sandbox changes.
/// </summary>
internal sealed class SandboxBenchmark(string bun, int jobs, int rounds = 3)
{
    private const int Lanes = 2;

    private static readonly Dictionary<ScriptLanguage, string> Scripts = new()
    {
        [ScriptLanguage.Bash] = "payload=\"$1\"\necho \"${#payload}\"",
        [ScriptLanguage.Python3] = "def main(payload: str):\n    return len(payload)",
        [ScriptLanguage.Bun] = "export function main(payload: string) { return payload.length; }",
    };

    public async Task RunAsync()
    {
        var unsandboxed = JobSandbox.Create(new SandboxOptions { Sandbox = SandboxMode.None }, NullLogger.Instance);
        var perJobHost = JobSandbox.Create(new SandboxOptions { Sandbox = SandboxMode.Bubblewrap, ReuseSandbox = false, Network = "host" }, NullLogger.Instance);
        var perJob = JobSandbox.Create(new SandboxOptions { Sandbox = SandboxMode.Bubblewrap, ReuseSandbox = false }, NullLogger.Instance);
        using var reusedHost = JobSandbox.Create(new SandboxOptions { Sandbox = SandboxMode.Bubblewrap, Network = "host" }, NullLogger.Instance);
        using var reused = JobSandbox.Create(new SandboxOptions { Sandbox = SandboxMode.Bubblewrap }, NullLogger.Instance);
        Console.WriteLine($"## Job sandbox: jobs/s of a trivial script, process per job, {Lanes} lanes, {jobs} jobs a round, {rounds} rounds each");
        Console.WriteLine();
        Console.WriteLine($"Reused: {reused.Description}");
        Console.WriteLine();
        Console.WriteLine("| script | no sandbox (jobs/s, rounds) | per job, host network | per job, own network | reused per lane, host network | reused, own network | per job / none | reused / none | own / host network: per job, reused (medians) |");
        Console.WriteLine("|---|---|---|---|---|---|---:|---:|---:|");
        foreach (var (language, script) in Scripts)
        {
            var rates = new[] { unsandboxed, perJobHost, perJob, reusedHost, reused }.Select(_ => new List<double>()).ToArray();
            await RateAsync(Runtime(language, unsandboxed), language, script, Lanes * 5); // first runs load the interpreter from disk
            for (var round = 0; round < rounds; round++)
                foreach (var (sandbox, i) in new[] { unsandboxed, perJobHost, perJob, reusedHost, reused }.Select((sandbox, i) => (sandbox, i)))
                    rates[i].Add(await RateAsync(Runtime(language, sandbox), language, script, jobs));
            var medians = rates.Select(Median).ToArray();
            Console.WriteLine($"| {language.ToString().ToLowerInvariant()} | {string.Join(" | ", rates.Select(Rounds))} | " +
                              $"**{medians[2] / medians[0]:0.00}** | **{medians[4] / medians[0]:0.00}** | {medians[2] / medians[1]:0.00}, {medians[4] / medians[3]:0.00} |");
        }
    }

    private static string Rounds(List<double> rates) => string.Join(" / ", rates.Select(r => $"{r:0}"));

    private ILanguageRuntime Runtime(ScriptLanguage language, JobSandbox sandbox) => language switch
    {
        ScriptLanguage.Bun => new BunRuntime(Options.Create(new RuntimeOptions { Bun = bun }), sandbox),
        ScriptLanguage.Python3 => new PythonRuntime(Options.Create(new RuntimeOptions()), sandbox),
        _ => new BashRuntime(Options.Create(new RuntimeOptions()), sandbox),
    };

    private static async Task<double> RateAsync(ILanguageRuntime runtime, ScriptLanguage language, string script, int count)
    {
        var signature = ScriptAnalyzer.Analyze(language, script);
        var next = 0;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, Lanes).Select(_ => Task.Run(async () =>
        {
            while (Interlocked.Increment(ref next) <= count)
            {
                var outcome = await runtime.RunAsync(new ScriptRun(language, script, signature, new JsonObject { ["payload"] = "aGVsbG8=" }, null, TimeSpan.FromSeconds(60)), CancellationToken.None);
                if (!outcome.Succeeded) throw new InvalidOperationException($"A {language} job failed: {outcome.Error}\n{outcome.Logs}");
            }
        })));
        return count / clock.Elapsed.TotalSeconds;
    }

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);
}
