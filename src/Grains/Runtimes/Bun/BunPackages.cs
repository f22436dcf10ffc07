using System.Text.Json;
using System.Text.Json.Nodes;
using Triggers.Runtimes.Dependencies;
using Triggers.Runtimes.Sandbox;
using Triggers.Scripts;

namespace Triggers.Runtimes.Bun;

/// <summary>
/// npm packages through <c>bun install</c>. The lock is the generated <c>package.json</c> and Bun's text lockfile
/// (<c>bun.lock</c>), so an install with <c>--frozen-lockfile</c> gets exactly the resolved versions.
/// </summary>
internal sealed partial class BunPackages(string? registry) : IPackageManager
{
    private const string LockfileMarker = "\n//bun.lock\n";

    public ScriptLanguage Language => ScriptLanguage.Bun;

    public string Folder => "node_modules";

    public IReadOnlyList<string> Requirements(string content) =>
        [.. BunImports.Infer(content).Select(p => $"{p.Key}@{p.Value}")];

    public string PackageOf(string requirement) => requirement[..requirement.LastIndexOf('@')];

    public string? Problem(string requirement, bool allowUrls)
    {
        var version = requirement[(requirement.LastIndexOf('@') + 1)..];
        // A registry version, range or tag; a ':' or '/' would make it a URL, a path, git or a GitHub shorthand.
        if (PackageName().IsMatch(PackageOf(requirement)) && (RegistryVersion().IsMatch(version) || allowUrls)) return null;
        return $"'{requirement}' is not a package from the registry with a version, range or tag: URLs, paths, git and GitHub sources are refused" +
               (allowUrls ? "." : " (Runtimes:AllowUrlRequirements allows them).");
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^(?:@[a-z0-9][\w.-]*/)?[a-z0-9][\w.-]*$", System.Text.RegularExpressions.RegexOptions.IgnoreCase)]
    private static partial System.Text.RegularExpressions.Regex PackageName();

    [System.Text.RegularExpressions.GeneratedRegex(@"^[\w.+^~<>=*| -]+$")]
    private static partial System.Text.RegularExpressions.Regex RegistryVersion();

    public async Task<PackageResult> ResolveAsync(IReadOnlyList<string> requirements, string directory, PackageTool tool, CancellationToken ct)
    {
        var dependencies = new JsonObject();
        foreach (var requirement in requirements)
        {
            var package = PackageOf(requirement); // up to the last @, after a scope's own
            dependencies[package] = requirement[(package.Length + 1)..];
        }
        var packageJson = new JsonObject { ["name"] = "script", ["private"] = true, ["dependencies"] = dependencies }.ToJsonString();
        await File.WriteAllTextAsync(Path.Combine(directory, "package.json"), packageJson, ct);
        var (exitCode, logs) = await InstallAsync(directory, tool, frozen: false, ct);
        if (exitCode != 0) return new PackageResult(false, null, logs);
        // The install ran packages' own scripts, which could have left a link to a host file in its place.
        string lockfile;
        try
        {
            await using var stream = JobFiles.OpenRead(directory, "bun.lock") ?? throw new JobFileRefusedException("bun install wrote no bun.lock");
            using var reader = new StreamReader(stream);
            lockfile = await reader.ReadToEndAsync(ct);
        }
        catch (JobFileRefusedException e) { return new PackageResult(false, null, $"{logs}\nThe lock file is not read: {e.Message}."); }
        return new PackageResult(true, packageJson + LockfileMarker + lockfile, logs);
    }

    public async Task<PackageResult> InstallAsync(string lockText, string directory, PackageTool tool, CancellationToken ct)
    {
        var split = lockText.IndexOf(LockfileMarker, StringComparison.Ordinal);
        if (split < 0) return new PackageResult(false, null, "The lock is not a Bun lock (package.json and bun.lock).");
        await File.WriteAllTextAsync(Path.Combine(directory, "package.json"), lockText[..split], ct);
        await File.WriteAllTextAsync(Path.Combine(directory, "bun.lock"), lockText[(split + LockfileMarker.Length)..], ct);
        var (exitCode, logs) = await InstallAsync(directory, tool, frozen: true, ct);
        return new PackageResult(exitCode == 0, exitCode == 0 ? lockText : null, logs);
    }

    private async Task<(int ExitCode, string Logs)> InstallAsync(string directory, PackageTool tool, bool frozen, CancellationToken ct)
    {
        if (registry is not null)
            await File.WriteAllTextAsync(Path.Combine(directory, "bunfig.toml"), $"[install]\nregistry = {JsonSerializer.Serialize(registry)}\n", ct);
        // Packages' install scripts would run on the silo, outside any job: they are skipped.
        List<string> arguments = ["install", $"--cwd={directory}", "--no-progress", "--save-text-lockfile", "--ignore-scripts"];
        if (frozen) arguments.Add("--frozen-lockfile");
        return await tool.RunAsync(arguments, ct, new Dictionary<string, string> { ["BUN_INSTALL_CACHE_DIR"] = tool.DownloadCache });
    }
}
