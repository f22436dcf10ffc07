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
/// each lane's reused sandbox (the job launcher, the default), in alternating rounds. No silo and no database: only the
/// process start that the sandbox changes.
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
        var perJob = JobSandbox.Create(new SandboxOptions { Sandbox = SandboxMode.Bubblewrap, ReuseSandbox = false }, NullLogger.Instance);
        using var reused = JobSandbox.Create(new SandboxOptions { Sandbox = SandboxMode.Bubblewrap }, NullLogger.Instance);
        Console.WriteLine($"## Job sandbox: jobs/s of a trivial script, process per job, {Lanes} lanes, {jobs} jobs a round, {rounds} rounds each");
        Console.WriteLine();
        Console.WriteLine($"Reused: {reused.Description}");
        Console.WriteLine();
        Console.WriteLine("| script | no sandbox (jobs/s, rounds) | a sandbox per job | a reused sandbox per lane | per job / none (median) | reused / none (median) | added wall time per job: per job, reused |");
        Console.WriteLine("|---|---|---|---|---:|---:|---:|");
        foreach (var (language, script) in Scripts)
        {
            var (none, each, shared) = (new List<double>(), new List<double>(), new List<double>());
            await RateAsync(Runtime(language, unsandboxed), language, script, Lanes * 5); // first runs load the interpreter from disk
            for (var round = 0; round < rounds; round++)
            {
                none.Add(await RateAsync(Runtime(language, unsandboxed), language, script, jobs));
                each.Add(await RateAsync(Runtime(language, perJob), language, script, jobs));
                shared.Add(await RateAsync(Runtime(language, reused), language, script, jobs));
            }
            var (noneMedian, eachMedian, sharedMedian) = (Median(none), Median(each), Median(shared));
            double AddedMs(double rate) => (Lanes / rate - Lanes / noneMedian) * 1000;
            Console.WriteLine($"| {language.ToString().ToLowerInvariant()} | {Rounds(none)} | {Rounds(each)} | {Rounds(shared)} | **{eachMedian / noneMedian:0.00}** | **{sharedMedian / noneMedian:0.00}** | {AddedMs(eachMedian):0.0} ms, {AddedMs(sharedMedian):0.0} ms |");
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
