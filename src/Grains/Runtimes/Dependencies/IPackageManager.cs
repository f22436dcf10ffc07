using Triggers.Scripts;

namespace Triggers.Runtimes.Dependencies;

/// <summary>One language's packages: what a script needs, resolving that into a lock, and installing a lock.</summary>
internal interface IPackageManager
{
    ScriptLanguage Language { get; }

    /// <summary>The folder of an installed set that a job's directory links under the same name (where the language
    /// looks for packages next to the script).</summary>
    string Folder { get; }

    /// <summary>The packages the script needs, read from its imports and pins; empty when it needs none.</summary>
    /// <exception cref="ArgumentException">A pin is malformed.</exception>
    IReadOnlyList<string> Requirements(string content);

    /// <summary>The package a requirement names, e.g. <c>lodash</c> for <c>lodash@4.17.21</c>.</summary>
    string PackageOf(string requirement);

    /// <summary>Why <paramref name="requirement"/> is not a plain package spec the registry resolves (an option for the
    /// package tool, a URL, a path), or null. With <paramref name="allowUrls"/>, a URL or VCS source may name a package.</summary>
    string? Problem(string requirement, bool allowUrls);

    /// <summary>Installs the newest versions that satisfy <paramref name="requirements"/> into
    /// <paramref name="directory"/> and returns the lock that installs exactly them again.</summary>
    Task<PackageResult> ResolveAsync(IReadOnlyList<string> requirements, string directory, PackageTool tool, CancellationToken ct);

    /// <summary>Installs exactly what <paramref name="lockText"/> names into <paramref name="directory"/>.</summary>
    Task<PackageResult> InstallAsync(string lockText, string directory, PackageTool tool, CancellationToken ct);
}

/// <param name="Lock">The lock, when resolving succeeded.</param>
/// <param name="Logs">What the package manager printed.</param>
internal sealed record PackageResult(bool Succeeded, string? Lock, string Logs);
