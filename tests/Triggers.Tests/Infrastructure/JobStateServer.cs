using System.Collections.Concurrent;
using System.Net;
using System.Text;

namespace Triggers.Tests.Infrastructure;

/// <summary>
/// A key-value store over HTTP on loopback, through which test scripts keep state between runs (a job that fails its
/// first run, a downstream system a test "fixes") and report what they saw. Jobs run sandboxed and share no files with
/// the test, but they may call APIs, as real scripts do: <c>GET {url}</c> answers the value or 404, <c>PUT {url}</c>
/// stores the body.
/// </summary>
public sealed class JobStateServer
{
    private readonly HttpListener _listener = new();
    private readonly ConcurrentDictionary<string, string> _values = new();

    private JobStateServer()
    {
        Port = FreePorts.Next();
        BaseUrl = $"http://127.0.0.1:{Port}/";
        _listener.Prefixes.Add(BaseUrl);
        _listener.Start();
        _ = ServeAsync();
    }

    /// <summary>One server for the test process; tests keep apart by using keys of their own (<see cref="NewKey"/>).</summary>
    public static JobStateServer Shared { get; } = new();

    public string BaseUrl { get; }

    /// <summary>Its port on loopback, which silos let their jobs reach (<c>Workers:HostPorts</c>): a job's network is
    /// isolated from the rest of the host's loopback.</summary>
    public int Port { get; }

    /// <summary>The URL of a key no other test uses.</summary>
    public string NewKey(string name) => $"{BaseUrl}{name}-{Guid.NewGuid():N}";

    public string? Get(string url) => _values.TryGetValue(KeyOf(url), out var value) ? value : null;

    public void Set(string url, string value) => _values[KeyOf(url)] = value;

    private string KeyOf(string url) => url.StartsWith(BaseUrl, StringComparison.Ordinal) ? url[BaseUrl.Length..] : url;

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            var context = await _listener.GetContextAsync();
            var key = context.Request.Url!.AbsolutePath.TrimStart('/');
            var response = context.Response;
            if (context.Request.HttpMethod == "PUT")
            {
                using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
                _values[key] = await reader.ReadToEndAsync();
                response.StatusCode = 204;
            }
            else if (_values.TryGetValue(key, out var value))
            {
                var body = Encoding.UTF8.GetBytes(value);
                await response.OutputStream.WriteAsync(body);
            }
            else
            {
                response.StatusCode = 404;
            }
            response.Close();
        }
    }
}
