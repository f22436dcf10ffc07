using System.Diagnostics;

namespace Triggers.Tests.Infrastructure;

/// <summary>Debian's Chromium, headless: loads a page, runs its scripts, and returns the DOM they built.</summary>
public static class HeadlessChromium
{
    public static async Task<string> RenderAsync(string url)
    {
        var chromium = Environment.GetEnvironmentVariable("TRIGGERS_TEST_CHROMIUM") ?? "/usr/bin/chromium";
        if (!File.Exists(chromium))
            throw new InvalidOperationException($"No Chromium at {chromium}: run scripts/install-chromium.sh (test.sh does).");
        var profile = Directory.CreateTempSubdirectory("chromium-");
        try
        {
            // Flags as a closed network needs them: no background traffic, no sandbox as root, no GPU.
            var start = new ProcessStartInfo(chromium,
            [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", $"--user-data-dir={profile.FullName}",
                "--virtual-time-budget=10000", "--dump-dom", url,
            ]) { RedirectStandardOutput = true, RedirectStandardError = true };
            using var process = Process.Start(start)!;
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
