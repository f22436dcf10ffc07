using Triggers.Benchmarks;

// Usage: dotnet run -c Release --project tests/Benchmarks -- [messages] [latency-seconds] [latency-rate] [finish-jobs]
//        dotnet run -c Release --project tests/Benchmarks -- finish [finish-jobs] [worker-slots] [rows...]  (the finish-rate benchmark
//                                                         alone; rows: bun python3 bash bun-dedicated python3-dedicated)
//        dotnet run -c Release --project tests/Benchmarks -- latency [seconds] [rate]              (the latency benchmark alone)
//        dotnet run -c Release --project tests/Benchmarks -- ingest [messages]                     (ingest and batch jobs finished, alone)
//        dotnet run -c Release --project tests/Benchmarks -- history [rows]                        (rates with a long job history; retention)
//        dotnet run -c Release --project tests/Benchmarks -- idle [trigger counts...]              (what idle triggers cost a silo)
//        dotnet run -c Release --project tests/Benchmarks -- deps [jobs]                           (a script's packages: install and per-job cost)
//        dotnet run -c Release --project tests/Benchmarks -- sandbox [jobs] [rounds]               (what the job sandbox costs per job)
// Needs TRIGGERS_BENCH_POSTGRES (a connection string to a database the benchmark may create databases in)
// and TRIGGERS_BENCH_BUN (the Bun binary); ./bench.sh provides both.
if (args is ["broker", ..])
{
    BrokerProcess.Serve(); // the mock broker of a benchmark that measures the silo apart from it
    return;
}
var finishOnly = args.Length > 0 && args[0] == "finish";
var latencyOnly = args.Length > 0 && args[0] == "latency";
var ingestOnly = args.Length > 0 && args[0] == "ingest";
var historyOnly = args.Length > 0 && args[0] == "history";
var idleOnly = args.Length > 0 && args[0] == "idle";
var depsOnly = args.Length > 0 && args[0] == "deps";
var sandboxOnly = args.Length > 0 && args[0] == "sandbox";
int Arg(int index, int fallback) => args.Length > index ? int.Parse(args[index]) : fallback;
var postgres = Environment.GetEnvironmentVariable("TRIGGERS_BENCH_POSTGRES") ?? throw new InvalidOperationException("Set TRIGGERS_BENCH_POSTGRES (./bench.sh does).");
var bun = Environment.GetEnvironmentVariable("TRIGGERS_BENCH_BUN") ?? throw new InvalidOperationException("Set TRIGGERS_BENCH_BUN (./bench.sh does).");

Console.WriteLine($"# Orleans Triggers benchmark — {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
Console.WriteLine($"machine: {Machine.Describe()}");
Console.WriteLine();
if (sandboxOnly)
{
    await new SandboxBenchmark(bun, Arg(1, 300), Arg(2, 3)).RunAsync();
    return;
}
if (depsOnly)
{
    await new DependencyBenchmark(postgres, bun, Arg(1, 400)).RunAsync();
    return;
}
if (idleOnly)
{
    // TRIGGERS_BENCH_FETCH_WAIT_MS: the consumers' fetch.wait.max.ms (default 500), which sets how often idle consumers fetch.
    var fetchWait = int.TryParse(Environment.GetEnvironmentVariable("TRIGGERS_BENCH_FETCH_WAIT_MS"), out var ms) ? ms : 500;
    await new IdleTriggersBenchmark(postgres, args.Length > 1 ? args[1..].Select(int.Parse).ToArray() : [100, 500], fetchWaitMaxMs: fetchWait).RunAsync();
    return;
}
if (historyOnly)
{
    await new HistoryBenchmark(postgres, bun, args.Length > 1 ? long.Parse(args[1]) : 10_000_000).RunAsync();
    return;
}
if (ingestOnly)
{
    await new IngestBenchmark(postgres, bun, Arg(1, 40_000)).RunAsync();
    return;
}
if (latencyOnly)
{
    await new LatencyBenchmark(postgres, bun, Arg(1, 30), Arg(2, 20)).RunAsync();
    return;
}
if (!finishOnly)
{
    await new IngestBenchmark(postgres, bun, Arg(0, 40_000)).RunAsync();
    Console.WriteLine();
    await new LatencyBenchmark(postgres, bun, Arg(1, 30), Arg(2, 20)).RunAsync();
    Console.WriteLine();
}
await new FinishRateBenchmark(postgres, bun, finishOnly ? Arg(1, 800) : Arg(3, 800), finishOnly ? Arg(2, 2) : 2,
    finishOnly && args.Length > 3 ? args[3..].ToHashSet() : null).RunAsync();
