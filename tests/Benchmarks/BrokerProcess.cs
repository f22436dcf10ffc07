using System.Diagnostics;
using Triggers.Triggers.Kafka.Development;

namespace Triggers.Benchmarks;

/// <summary>
/// The mock Kafka cluster in a process of its own (this program, started with <c>broker</c>), so that a benchmark can
/// tell the silo's CPU from the broker's: in production the broker's share runs on the Kafka cluster, not on the silos.
/// Topics are created over the child's standard input, a line each.
/// </summary>
internal sealed class BrokerProcess : IDisposable
{
    private readonly Process _process;

    private BrokerProcess(Process process, string bootstrapServers)
    {
        _process = process;
        BootstrapServers = bootstrapServers;
    }

    public string BootstrapServers { get; }

    /// <summary>CPU time the broker process has used so far.</summary>
    public TimeSpan CpuTime
    {
        get { _process.Refresh(); return _process.TotalProcessorTime; }
    }

    public static BrokerProcess Start()
    {
        var start = new ProcessStartInfo("dotnet", [typeof(BrokerProcess).Assembly.Location, "broker"])
        {
            RedirectStandardInput = true, RedirectStandardOutput = true,
        };
        var process = Process.Start(start)!;
        var bootstrap = process.StandardOutput.ReadLine() ?? throw new InvalidOperationException("The broker process ended before it listened.");
        return new BrokerProcess(process, bootstrap);
    }

    public void CreateTopic(string topic, int partitions)
    {
        _process.StandardInput.WriteLine($"{topic} {partitions}");
        var answer = _process.StandardOutput.ReadLine();
        if (answer != "ok") throw new InvalidOperationException($"The broker process could not create topic {topic}: {answer}");
    }

    /// <summary>The child's side: serves one mock broker until its standard input closes.</summary>
    public static void Serve()
    {
        using var kafka = new MockKafkaCluster(brokers: 1);
        Console.WriteLine(kafka.BootstrapServers);
        while (Console.ReadLine() is { } line)
        {
            var parts = line.Split(' ');
            try
            {
                kafka.CreateTopic(parts[0], int.Parse(parts[1]));
                Console.WriteLine("ok");
            }
            catch (Exception e) when (e is InvalidOperationException or FormatException or IndexOutOfRangeException)
            {
                Console.WriteLine(e.Message);
            }
        }
    }

    public void Dispose()
    {
        _process.StandardInput.Close();
        if (!_process.WaitForExit(TimeSpan.FromSeconds(10))) _process.Kill();
        _process.Dispose();
    }
}
