using System.Diagnostics;

namespace Triggers.Tests.Infrastructure;

/// <summary>Debian's Chromium, headless: loads a page, runs its scripts, and returns the DOM they built.</summary>
public static class HeadlessChromium
{
    /// <summary>How to start Debian's Chromium headless, with a throw-away profile and <paramref name="arguments"/>
    /// (what to do: dump a page, open a DevTools port).</summary>
    public static ProcessStartInfo StartInfo(DirectoryInfo profile, params string[] arguments)
    {
        var chromium = Environment.GetEnvironmentVariable("TRIGGERS_TEST_CHROMIUM") ?? "/usr/bin/chromium";
        if (!File.Exists(chromium))
            throw new InvalidOperationException($"No Chromium at {chromium}: run scripts/install-chromium.sh (test.sh does).");
        // Flags as a closed network needs them: no background traffic, no sandbox as root, no GPU.
        return new ProcessStartInfo(chromium,
        [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run", $"--user-data-dir={profile.FullName}", .. arguments,
        ]) { RedirectStandardOutput = true, RedirectStandardError = true };
    }

    public static async Task<string> RenderAsync(string url)
    {
        var profile = Directory.CreateTempSubdirectory("chromium-");
        try
        {
            using var process = Process.Start(StartInfo(profile, "--virtual-time-budget=10000", "--dump-dom", url))!;
            var dom = process.StandardOutput.ReadToEndAsync();
            _ = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(90));
            return await dom;
        }
        finally
        {
            profile.Delete(recursive: true);
        }
    }
}
