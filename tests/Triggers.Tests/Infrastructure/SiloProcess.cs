using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace Triggers.Tests.Infrastructure;

/// <summary>
/// The silo as an operator runs it: a separate `dotnet Triggers.Silo.dll` process, which tests can stop
/// gracefully (SIGTERM) or kill outright (SIGKILL) and start again with the same configuration.
/// </summary>
public sealed partial class SiloProcess : IAsyncDisposable
{
    private readonly Dictionary<string, string> _environment;
    private readonly StringBuilder _output = new();
    private Process? _process;

    private readonly string _project;

    /// <param name="postgres">The database; null for the embedded storage that <paramref name="settings"/> choose.</param>
    /// <param name="project">The host to run: <c>Silo</c>, or <c>ApiHost</c> for the standalone API front end.</param>
    public SiloProcess(string? postgres, string clusterId, IReadOnlyDictionary<string, string>? settings = null, string project = "Silo")
    {
        _project = project;
        HttpPort = FreePorts.Next();
        SiloPort = FreePorts.Next();
        GatewayPort = FreePorts.Next();
        _environment = new()
        {
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{HttpPort}",
            ["Orleans__ClusterId"] = clusterId,
            ["Orleans__SiloPort"] = SiloPort.ToString(),
            ["Orleans__GatewayPort"] = GatewayPort.ToString(),
            ["Auth__AdminToken"] = SiloFactory.AdminToken,
            ["Runtimes__Bun"] = new BunFixture().BunPath,
            ["Workers__Count"] = "2",
            ["Workers__HostPorts__0"] = JobStateServer.Shared.Port.ToString(),
            ["Kafka__AllowPrivateBrokers__0"] = "127.0.0.0/8", // the tests' mock brokers (by address or as localhost)
            ["Kafka__AllowPrivateBrokers__1"] = "::1",
        };
        // The mock broker delays every rebalance by about the session timeout. TRIGGERS_TEST_DEFAULT_SESSION=1 keeps
        // the silo's default instead, to measure takeover as shipped (docs/BENCHMARKS.md).
        if (postgres is not null) _environment["ConnectionStrings__Postgres"] = postgres;
        if (Environment.GetEnvironmentVariable("TRIGGERS_TEST_DEFAULT_SESSION") != "1") _environment["Kafka__SessionTimeoutMs"] = "3000";
        foreach (var (key, value) in settings ?? new Dictionary<string, string>()) _environment[key] = value;
    }

    /// <summary>A setting that needs one of this silo's ports; before <see cref="StartAsync"/>.</summary>
    public void Set(string key, string value) => _environment[key] = value;

    /// <summary>Leaves out a setting the tests give every silo (to see the default); before <see cref="StartAsync"/>.</summary>
    public void Unset(string key) => _environment.Remove(key);

    public int HttpPort { get; }
    public int SiloPort { get; }
    public int GatewayPort { get; }

    /// <summary>What the silo printed, for failure messages.</summary>
    public string Output { get { lock (_output) return _output.ToString(); } }

    public TriggersApiClient CreateApiClient()
    {
        var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{HttpPort}"), Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new("Bearer", SiloFactory.AdminToken);
        return new TriggersApiClient(http);
    }

    public async Task StartAsync()
    {
        Launch();
        await Eventually.WaitAsync(async () =>
        {
            if (_process!.HasExited) throw new InvalidOperationException($"{_project} exited with code {_process.ExitCode}:\n{Output}");
            return await IsReadyAsync();
        }, TimeSpan.FromSeconds(90), $"{_project} to be ready");
    }

    /// <summary>Whether the process answers <c>/health/ready</c> with success (joined its cluster) right now.</summary>
    public async Task<bool> IsReadyAsync()
    {
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{HttpPort}") };
        try { return (await http.GetAsync("/health/ready")).IsSuccessStatusCode; }
        catch (HttpRequestException) { return false; }
    }

    /// <summary>Starts the process without waiting for it to be ready (for one that should not get there).</summary>
    public void Launch()
    {
        var dll = Path.Combine(RepoPaths.Root, "src", _project, "bin", BuildConfiguration, "net10.0", $"Triggers.{_project}.dll");
        var start = new ProcessStartInfo("dotnet", [dll]) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (key, value) in _environment) start.Environment[key] = value;
        _process = Process.Start(start)!;
        _process.OutputDataReceived += (_, e) => { lock (_output) _output.AppendLine(e.Data); };
        _process.ErrorDataReceived += (_, e) => { lock (_output) _output.AppendLine(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>The exit code of a process that should stop by itself (one refusing to start).</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        await _process!.WaitForExitAsync().WaitAsync(timeout);
        _process.WaitForExit(); // the output's last lines, read asynchronously, are in
        return _process.ExitCode;
    }

    /// <summary>SIGKILL: no shutdown code runs, as when a machine dies.</summary>
    public async Task KillAsync()
    {
        if (_process is null) return;
        _process.Kill();
        await _process.WaitForExitAsync();
        _process = null;
    }

    /// <summary>SIGTERM: the silo shuts down cleanly, as on a rolling upgrade.</summary>
    public async Task StopAsync()
    {
        if (_process is null) return;
        _ = SendSignal(_process.Id, 15);
        await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        _process = null;
    }

    /// <summary>SIGSTOP: the whole process freezes, as a silo does in a long GC pause or on a suspended VM; the cluster
    /// declares it dead meanwhile. <see cref="Thaw"/> wakes it.</summary>
    public void Freeze() => SendSignal(_process!.Id, 19);

    /// <summary>SIGCONT: a frozen silo carries on where it stopped, until it learns that the cluster gave it up.</summary>
    public void Thaw() => SendSignal(_process!.Id, 18);

    public bool HasExited => _process is null || _process.HasExited;

    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false }) await KillAsync();
    }

    private static string BuildConfiguration =>
        AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}") ? "Release" : "Debug";

    [LibraryImport("libc", EntryPoint = "kill")]
    private static partial int SendSignal(int pid, int signal);
}
