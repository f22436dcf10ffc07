using Triggers.Benchmarks;

// Usage: dotnet run -c Release --project tests/Benchmarks -- [messages] [latency-seconds] [latency-rate]
// Needs TRIGGERS_BENCH_POSTGRES (a connection string to a database the benchmark may create databases in)
// and TRIGGERS_BENCH_BUN (the Bun binary); ./bench.sh provides both.
var messages = args.Length > 0 ? int.Parse(args[0]) : 40_000;
var latencySeconds = args.Length > 1 ? int.Parse(args[1]) : 30;
var latencyRate = args.Length > 2 ? int.Parse(args[2]) : 20;
var postgres = Environment.GetEnvironmentVariable("TRIGGERS_BENCH_POSTGRES") ?? throw new InvalidOperationException("Set TRIGGERS_BENCH_POSTGRES (./bench.sh does).");
var bun = Environment.GetEnvironmentVariable("TRIGGERS_BENCH_BUN") ?? throw new InvalidOperationException("Set TRIGGERS_BENCH_BUN (./bench.sh does).");

Console.WriteLine($"# Orleans Triggers benchmark — {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
Console.WriteLine($"machine: {Machine.Describe()}");
Console.WriteLine();
await new IngestBenchmark(postgres, messages).RunAsync();
Console.WriteLine();
await new LatencyBenchmark(postgres, bun, latencySeconds, latencyRate).RunAsync();
