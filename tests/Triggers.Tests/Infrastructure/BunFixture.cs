using System.Diagnostics;

namespace Triggers.Tests.Infrastructure;

/// <summary>
/// The Bun binary for tests, installed into the repository's .tools by scripts/install-bun.sh the first time any
/// test asks for it in a test run (the script itself is a no-op when Bun is already there).
/// </summary>
public sealed class BunFixture
{
    private static readonly TimeSpan InstallLimit = TimeSpan.FromMinutes(5);
    private static readonly Lazy<string> InstalledBun = new(Install);

    public string BunPath => InstalledBun.Value;

    private static string Install()
    {
        var script = Path.Combine(RepoPaths.Root, "scripts", "install-bun.sh");
        using var process = Process.Start(new ProcessStartInfo("bash", [script])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        }) ?? throw new InvalidOperationException($"Could not start {script}.");

        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(InstallLimit))
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"{script} did not finish within {InstallLimit}.");
        }

        var bunPath = stdout.Result.Trim();
        if (process.ExitCode != 0 || !File.Exists(bunPath))
            throw new InvalidOperationException($"{script} failed (exit code {process.ExitCode}):\n{stderr.Result}");
        return bunPath;
    }
}
