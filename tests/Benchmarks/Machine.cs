namespace Triggers.Benchmarks;

internal static class Machine
{
    public static string Describe()
    {
        var cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name"))?.Split(':', 2)[1].Trim() ?? "unknown CPU";
        var memory = File.ReadLines("/proc/meminfo").First().Split(':', 2)[1].Trim();
        return $"{Environment.ProcessorCount} cores, {cpu}, {memory} RAM, .NET {Environment.Version}";
    }

    /// <summary>CPU time all processes of the machine have used so far (every core's busy time, from /proc/stat).</summary>
    public static TimeSpan BusyTime()
    {
        // cpu  user nice system idle iowait irq softirq steal ...: idle and iowait are not busy. Units: USER_HZ (100/s).
        var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(long.Parse).ToArray();
        var busy = fields.Take(8).Sum() - fields[3] - fields[4];
        return TimeSpan.FromSeconds(busy / 100.0);
    }
}
