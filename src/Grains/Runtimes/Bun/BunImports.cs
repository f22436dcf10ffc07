using System.Text.Json;
using System.Text.RegularExpressions;

namespace Triggers.Runtimes.Bun;

/// <summary>
/// The npm packages a Bun script needs: the bare specifiers it imports (Node's and Bun's built-in modules and relative
/// paths left out), each at <c>latest</c> unless a <c>// package.json: {"dependencies": {...}}</c> comment block
/// pins it. Packages only named in that block are added too.
/// </summary>
internal static partial class BunImports
{
    /// <returns>Package name → version range, in name order.</returns>
    public static SortedDictionary<string, string> Infer(string content)
    {
        var packages = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (Match import in Specifier().Matches(content))
            if (PackageOf(import.Groups[1].Value) is { } package) packages[package] = "latest";
        foreach (var (package, version) in Pins(content)) packages[package] = version;
        return packages;
    }

    /// <summary>The package a specifier names (<c>lodash/fp</c> → <c>lodash</c>, <c>@scope/pkg/x</c> →
    /// <c>@scope/pkg</c>), or null for a built-in module, a path or a URL.</summary>
    internal static string? PackageOf(string specifier)
    {
        if (specifier.StartsWith('.') || specifier.StartsWith('/') || specifier.Contains(':')) return null; // ./x, /f/x, node:fs, bun:sqlite, https://
        var segments = specifier.Split('/');
        var name = specifier.StartsWith('@') ? segments.Length > 1 ? $"{segments[0]}/{segments[1]}" : null : segments[0];
        return name is null || BuiltIns.Contains(name) ? null : name;
    }

    /// <summary>The <c>dependencies</c> of a <c>// package.json:</c> comment block, whose JSON may continue on the
    /// following comment lines.</summary>
    /// <exception cref="ArgumentException">The block is not a JSON object with string versions.</exception>
    private static IEnumerable<(string Package, string Version)> Pins(string content)
    {
        var lines = content.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var start = PinBlock().Match(lines[i]);
            if (!start.Success) continue;
            var json = start.Groups[1].Value;
            for (var j = i + 1; j < lines.Length && lines[j].TrimStart().StartsWith("//", StringComparison.Ordinal); j++)
                json += "\n" + lines[j].TrimStart()[2..];
            Dictionary<string, Dictionary<string, string>>? block;
            try { block = JsonSerializer.Deserialize<Dictionary<string, Dictionary<string, string>>>(json); }
            catch (JsonException e)
            {
                throw new ArgumentException($"The `// package.json:` comment must hold {{\"dependencies\": {{\"name\": \"version\"}}}}: {e.Message}", nameof(content));
            }
            return block?.GetValueOrDefault("dependencies")?.Select(d => (d.Key, d.Value)) ?? [];
        }
        return [];
    }

    // from "x" / import "x" / import("x") / require("x"), with either quote.
    [GeneratedRegex("""(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)["']([^"'\s]+)["']""")]
    private static partial Regex Specifier();

    [GeneratedRegex(@"^\s*//\s*package\.json:?\s*(.*)$")]
    private static partial Regex PinBlock();

    private static readonly HashSet<string> BuiltIns =
    [
        "bun", "assert", "async_hooks", "buffer", "child_process", "cluster", "console", "constants", "crypto", "dgram",
        "diagnostics_channel", "dns", "domain", "events", "fs", "http", "http2", "https", "inspector", "module", "net", "os",
        "path", "perf_hooks", "process", "punycode", "querystring", "readline", "repl", "stream", "string_decoder", "sys",
        "timers", "tls", "trace_events", "tty", "url", "util", "v8", "vm", "wasi", "worker_threads", "zlib",
    ];
}
