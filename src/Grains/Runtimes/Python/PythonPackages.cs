using Triggers.Runtimes.Dependencies;
using Triggers.Scripts;

namespace Triggers.Runtimes.Python;

/// <summary>
/// Python packages through pip, installed into a folder of their own (<c>--target</c>), never into the interpreter's
/// environment. The lock is the installed distributions as <c>name==version</c> lines, installed again without
/// dependency resolution (<c>--no-deps</c>), so a lock always gets exactly the same set.
/// </summary>
internal sealed class PythonPackages(string? indexUrl) : IPackageManager
{
    public ScriptLanguage Language => ScriptLanguage.Python3;

    public string Folder => "site-packages";

    public IReadOnlyList<string> Requirements(string content) => PythonImports.Infer(content);

    public string PackageOf(string requirement) => PythonImports.RequirementName(requirement);

    public string? Problem(string requirement, bool allowUrls) =>
        PythonImports.IsPlainRequirement(requirement) || (allowUrls && PythonImports.IsUrlRequirement(requirement)) ? null
        : $"'{requirement}' is not a package requirement (name, extras, version specifiers, markers): pip options, paths and URLs are refused" +
          (allowUrls ? "." : " (Runtimes:AllowUrlRequirements allows 'name @ url').");

    public async Task<PackageResult> ResolveAsync(IReadOnlyList<string> requirements, string directory, PackageTool tool, CancellationToken ct)
    {
        var target = Path.Combine(directory, Folder);
        var (exitCode, logs) = await tool.RunAsync([.. Pip("install", tool), "--target", target, .. requirements], ct);
        if (exitCode != 0) return new PackageResult(false, null, logs);
        var (listed, installed) = await tool.RunAsync([.. Pip("list", tool), "--path", target, "--format", "freeze"], ct);
        if (listed != 0) return new PackageResult(false, null, logs + installed);
        var lockLines = installed.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(line => line.Contains("==", StringComparison.Ordinal))
            .Order(StringComparer.OrdinalIgnoreCase);
        return new PackageResult(true, string.Join('\n', lockLines) + "\n", logs);
    }

    public async Task<PackageResult> InstallAsync(string lockText, string directory, PackageTool tool, CancellationToken ct)
    {
        var requirementsFile = Path.Combine(directory, "requirements.lock");
        await File.WriteAllTextAsync(requirementsFile, lockText, ct);
        var (exitCode, logs) = await tool.RunAsync([.. Pip("install", tool), "--no-deps", "--target", Path.Combine(directory, Folder), "-r", requirementsFile], ct);
        return new PackageResult(exitCode == 0, exitCode == 0 ? lockText : null, logs);
    }

    private IEnumerable<string> Pip(string command, PackageTool tool)
    {
        yield return "-I";
        yield return "-m";
        yield return "pip";
        yield return command;
        yield return "--disable-pip-version-check";
        yield return "--no-input";
        if (command != "install") yield break;
        yield return "--root-user-action=ignore"; // silos often run as root in containers; the target is a private folder
        yield return "--cache-dir";
        yield return tool.DownloadCache;
        if (indexUrl is null) yield break;
        yield return "--index-url";
        yield return indexUrl;
    }
}
