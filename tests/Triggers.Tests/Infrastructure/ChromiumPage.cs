using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Triggers.Tests.Infrastructure;

/// <summary>
/// One tab of a real headless Chromium, driven over the DevTools protocol: navigate, run script in the page (to fill
/// and submit forms as a person would), wait for what the page shows, and take screenshots.
/// </summary>
public sealed partial class ChromiumPage : IAsyncDisposable
{
    private readonly Process _browser;
    private readonly DirectoryInfo _profile;
    private readonly ClientWebSocket _socket = new();
    private int _nextId;

    private ChromiumPage(Process browser, DirectoryInfo profile) => (_browser, _profile) = (browser, profile);

    public static async Task<ChromiumPage> OpenAsync()
    {
        var profile = Directory.CreateTempSubdirectory("chromium-");
        var start = HeadlessChromium.StartInfo(profile, "--remote-debugging-port=0", "--window-size=1280,900", "about:blank");
        var browser = Process.Start(start)!;
        var page = new ChromiumPage(browser, profile);
        try
        {
            // Chromium says where its DevTools endpoint is on stderr, e.g. "DevTools listening on ws://127.0.0.1:40123/devtools/browser/<id>".
            string? port = null;
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (port is null && DateTime.UtcNow < deadline && await browser.StandardError.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30)) is { } line)
                if (DevToolsPort().Match(line) is { Success: true } match) port = match.Groups[1].Value;
            if (port is null) throw new InvalidOperationException("Chromium did not open its DevTools endpoint.");
            _ = browser.StandardError.ReadToEndAsync();
            _ = browser.StandardOutput.ReadToEndAsync();
            using var http = new HttpClient();
            var targets = JsonNode.Parse(await http.GetStringAsync($"http://127.0.0.1:{port}/json/list"))!.AsArray();
            var tab = targets.First(t => (string?)t!["type"] == "page")!;
            await page._socket.ConnectAsync(new Uri((string)tab["webSocketDebuggerUrl"]!), CancellationToken.None);
            return page;
        }
        catch
        {
            await page.DisposeAsync();
            throw;
        }
    }

    [GeneratedRegex(@"DevTools listening on ws://[^:]+:(\d+)/")]
    private static partial Regex DevToolsPort();

    public async Task NavigateAsync(string url) => await SendAsync("Page.navigate", new JsonObject { ["url"] = url });

    /// <summary>Runs <paramref name="expression"/> in the page (awaiting a promise it returns) and answers its value as JSON.</summary>
    public async Task<JsonNode?> EvaluateAsync(string expression)
    {
        var result = await SendAsync("Runtime.evaluate", new JsonObject { ["expression"] = expression, ["awaitPromise"] = true, ["returnByValue"] = true });
        if (result["exceptionDetails"] is { } error)
            throw new InvalidOperationException($"The page threw: {error["exception"]?["description"] ?? error["text"]}");
        return result["result"]?["value"];
    }

    /// <summary>Waits until <paramref name="condition"/> (a script expression) is true in the page.</summary>
    public async Task WaitForAsync(string condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (true)
        {
            try
            {
                if ((await EvaluateAsync($"!!({condition})"))?.GetValue<bool>() == true) return;
            }
            catch (InvalidOperationException) when (DateTime.UtcNow < deadline) { } // the page is still loading
            if (DateTime.UtcNow >= deadline)
                throw new TimeoutException($"Timed out waiting for {what}. The page shows: {await TextAsync()}");
            await Task.Delay(200);
        }
    }

    public async Task<string> TextAsync() => (await EvaluateAsync("document.body ? document.body.innerText : ''"))?.ToString() ?? "";

    /// <summary>Saves a PNG of the page under the test output's <c>screenshots</c> folder and returns its path.</summary>
    public async Task<string> ScreenshotAsync(string name)
    {
        var result = await SendAsync("Page.captureScreenshot", new JsonObject { ["format"] = "png" });
        var directory = Directory.CreateDirectory(Path.Combine(AppContext.BaseDirectory, "screenshots")).FullName;
        var path = Path.Combine(directory, $"{name}.png");
        await File.WriteAllBytesAsync(path, Convert.FromBase64String((string)result["data"]!));
        return path;
    }

    private async Task<JsonNode> SendAsync(string method, JsonObject parameters)
    {
        var id = Interlocked.Increment(ref _nextId);
        var message = new JsonObject { ["id"] = id, ["method"] = method, ["params"] = parameters };
        await _socket.SendAsync(Encoding.UTF8.GetBytes(message.ToJsonString()), WebSocketMessageType.Text, true, CancellationToken.None);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (true)
        {
            var reply = await ReceiveAsync(timeout.Token);
            if ((int?)reply["id"] != id) continue; // an event, or the answer to nothing we wait for
            if (reply["error"] is { } error) throw new InvalidOperationException($"{method} failed: {error.ToJsonString()}");
            return reply["result"]!;
        }
    }

    private async Task<JsonNode> ReceiveAsync(CancellationToken ct)
    {
        var buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        WebSocketReceiveResult received;
        do
        {
            received = await _socket.ReceiveAsync(buffer, ct);
            message.Write(buffer, 0, received.Count);
        } while (!received.EndOfMessage);
        return JsonNode.Parse(message.ToArray())!;
    }

    public async ValueTask DisposeAsync()
    {
        _socket.Dispose();
        if (!_browser.HasExited) _browser.Kill(entireProcessTree: true);
        await _browser.WaitForExitAsync();
        _browser.Dispose();
        try { _profile.Delete(recursive: true); } catch (IOException) { } // a Chromium helper may still hold a file for a moment
    }
}
