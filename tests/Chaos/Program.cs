using Triggers.Chaos;

// ./bench.sh chaos [seconds=240] [seed=1]: one soak (ChaosRun); prints its row of docs/RELIABILITY.md's table and
// exits non-zero unless every message ended in exactly one successful job of each of its triggers.
var seconds = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 240;
var seed = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 1;

var result = await new ChaosRun(seconds, seed).RunAsync();
Console.WriteLine("| seed | seconds | message–trigger pairs | lost | duplicated | unfinished | failed | started runs lost (may have run twice) | claims lost unstarted | faults |");
Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|");
Console.WriteLine($"| {result.Seed} | {result.Seconds} | {result.Pairs:N0} | {result.Lost} | {result.Duplicated} | {result.Unfinished} | {result.Failed} | {result.Reruns} | {result.Requeued} | " +
                  $"{result.Faults.Count}: {string.Join("; ", result.Faults)} |");
return result.Held ? 0 : 1;
