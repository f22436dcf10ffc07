namespace Triggers.Runtimes;

/// <summary>
/// Where each language's interpreter is (configuration keys <c>Runtimes:Bun</c>, <c>Runtimes:Python</c>,
/// <c>Runtimes:Bash</c>). A bare name is looked up on the jobs' PATH (/usr/local/bin:/usr/bin:/bin) first and then on
/// the host's PATH; anything containing a slash is taken as a path.
/// </summary>
public sealed class RuntimeOptions
{
    public const string Section = "Runtimes";

    public string Bun { get; set; } = "bun";
    public string Python { get; set; } = "python3";
    public string Bash { get; set; } = "bash";

    /// <summary>Most warm processes of dedicated workers kept per language; idle ones of other scripts make way.</summary>
    public int DedicatedMaxProcesses { get; set; } = 8;

    /// <summary>A dedicated worker whose process grows beyond this (resident memory) is replaced, failing the job in flight.</summary>
    public int DedicatedMaxMemoryMb { get; set; } = 1024;

    /// <summary>Where installed dependency sets are kept (default: a folder in the system's temporary directory).</summary>
    public string? CacheDirectory { get; set; }

    /// <summary>The cache's size limit: sets not used for an hour are removed, least recently used first (0: no limit).</summary>
    public int CacheMaxMb { get; set; } = 4096;

    /// <summary>The npm registry (<c>Runtimes:Npm:Registry</c>); npm's public one when unset.</summary>
    public NpmOptions Npm { get; set; } = new();

    /// <summary>The Python package index (<c>Runtimes:Python:IndexUrl</c>, beside <c>Runtimes:Python</c>, the interpreter);
    /// pip's default when unset.</summary>
    public PythonPackageOptions PythonPackages { get; set; } = new();

    /// <summary>Whether scripts may take packages from URLs, git or paths (<c>name @ https://…</c>, <c>pkg@github:…</c>)
    /// instead of only from the registry by name and version.</summary>
    public bool AllowUrlRequirements { get; set; }

    /// <summary>How long resolving or installing one dependency set may take.</summary>
    public int DependencyTimeoutSeconds { get; set; } = 600;
}

public sealed class NpmOptions
{
    /// <summary>A registry URL; credentials in it (<c>https://user:token@host/</c>) never appear in logs.</summary>
    public string? Registry { get; set; }
}

public sealed class PythonPackageOptions
{
    /// <summary>A PEP 503 index URL for pip's <c>--index-url</c>; credentials in it never appear in logs.</summary>
    public string? IndexUrl { get; set; }
}
