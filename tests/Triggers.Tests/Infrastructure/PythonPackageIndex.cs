using System.Diagnostics;
using System.IO.Compression;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace Triggers.Tests.Infrastructure;

/// <summary>
/// A real PEP 503 package index over HTTP (a static directory served by <c>python3 -m http.server</c>) holding small
/// pure-Python wheels built here, because this machine reaches no public index.
/// </summary>
public sealed class PythonPackageIndex : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("triggers-pypi-").FullName;
    private readonly Process _server;

    /// <param name="packages">Name, version, module source and required distributions of each wheel.</param>
    public PythonPackageIndex(params (string Name, string Version, string Module, string[] Requires)[] packages)
    {
        foreach (var group in packages.GroupBy(p => p.Name))
        {
            var directory = Directory.CreateDirectory(Path.Combine(_root, "simple", group.Key)).FullName;
            var links = new StringBuilder("<!DOCTYPE html><html><body>\n");
            foreach (var package in group)
            {
                var file = $"{package.Name}-{package.Version}-py3-none-any.whl";
                WriteWheel(Path.Combine(directory, file), package.Name, package.Version, package.Module, package.Requires);
                links.Append($"<a href=\"{file}\">{file}</a>\n");
            }
            File.WriteAllText(Path.Combine(directory, "index.html"), links.Append("</body></html>\n").ToString());
        }
        var port = FreePorts.Next();
        Url = $"http://127.0.0.1:{port}/simple";
        _server = Process.Start(new ProcessStartInfo("/usr/bin/python3", ["-m", "http.server", port.ToString(), "--bind", "127.0.0.1", "--directory", _root])
        {
            RedirectStandardOutput = true, RedirectStandardError = true,
        })!;
        _server.BeginOutputReadLine();
        _server.BeginErrorReadLine();
        WaitUntilListening(port);
    }

    /// <summary>The index URL for pip's <c>--index-url</c>.</summary>
    public string Url { get; }

    private static void WriteWheel(string path, string name, string version, string module, string[] requires)
    {
        var distInfo = $"{name}-{version}.dist-info";
        var files = new Dictionary<string, string>
        {
            [$"{name}/__init__.py"] = module,
            [$"{distInfo}/METADATA"] = $"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n" + string.Concat(requires.Select(r => $"Requires-Dist: {r}\n")),
            [$"{distInfo}/WHEEL"] = "Wheel-Version: 1.0\nGenerator: triggers-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        };
        var record = files.Select(f =>
        {
            var bytes = Encoding.UTF8.GetBytes(f.Value);
            return $"{f.Key},sha256={Convert.ToBase64String(SHA256.HashData(bytes)).TrimEnd('=').Replace('+', '-').Replace('/', '_')},{bytes.Length}";
        }).Append($"{distInfo}/RECORD,,");
        files[$"{distInfo}/RECORD"] = string.Join('\n', record) + "\n";
        using var wheel = ZipFile.Open(path, ZipArchiveMode.Create);
        foreach (var (entry, content) in files)
        {
            using var writer = new StreamWriter(wheel.CreateEntry(entry).Open());
            writer.Write(content);
        }
    }

    private static void WaitUntilListening(int port)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var client = new TcpClient();
                client.Connect("127.0.0.1", port);
                return;
            }
            catch (SocketException) when (deadline.Elapsed < TimeSpan.FromSeconds(20))
            {
                Thread.Sleep(50); // the server process is starting; there is nothing to wait on but its port
            }
        }
    }

    public void Dispose()
    {
        try { _server.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
        _server.Dispose();
        Directory.Delete(_root, recursive: true);
    }
}
