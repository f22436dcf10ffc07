using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Triggers.Runtimes.Sandbox;
using Triggers.Scripts;

namespace Triggers.Runtimes.Dependencies;

/// <summary>A resolved dependency set: its lock, and where it is installed; or why resolving failed.</summary>
public sealed record DependencyResolution(bool Succeeded, string? Lock, string Logs);

/// <summary>
/// Scripts' third-party packages: inferring what a script needs, resolving it into a lock, and installing each lock
/// once per silo into a content-addressed cache (<c>Runtimes:CacheDirectory</c>/language/hash of the lock) that every
/// job and warm worker with the same lock shares. An entry is built in a staging folder and renamed into place when
/// complete, so a crash never leaves a half-installed set in use; a deleted or damaged entry is built again.
/// </summary>
public sealed class DependencySets
{
    private const string CompleteMarker = ".complete";

    private readonly Dictionary<ScriptLanguage, IPackageManager> _managers;
    private readonly RuntimeOptions _options;
    private readonly JobSandbox _sandbox;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _installing = new();
    private int _installs;

    public DependencySets(IOptions<RuntimeOptions> options, JobSandbox sandbox, ILogger<DependencySets> logger)
    {
        _options = options.Value;
        _sandbox = sandbox;
        _logger = logger;
        Root = Path.GetFullPath(_options.CacheDirectory ?? Path.Combine(".data", "dependencies"));
        // Another local user who made (or can write) any folder on the way could swap in packages that other workspaces' jobs run.
        OwnedFolders.Require(Root, "Runtimes:CacheDirectory");
        // The sandbox mounts installed sets from here as the jobs' user, who must pass through it, but not list it.
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(Root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        _managers = new IPackageManager[] { new Bun.BunPackages(_options.Npm.Registry), new Python.PythonPackages(_options.PythonPackages.IndexUrl) }
            .ToDictionary(m => m.Language);
    }

    /// <summary>Where installed sets live.</summary>
    public string Root { get; }

    /// <summary>How many sets this silo has installed (resolutions included) since it started.</summary>
    public int Installs => _installs;

    /// <summary>The packages a script needs (see <see cref="Script.Requirements"/>); empty for bash.</summary>
    /// <exception cref="ArgumentException">A pin in the script is malformed.</exception>
    public IReadOnlyList<string> Requirements(ScriptLanguage language, string content) => Requirements(language, [content]);

    /// <summary>What a script and the workspace scripts it imports need together: one requirement per package,
    /// the first source's (the script's own) winning.</summary>
    public IReadOnlyList<string> Requirements(ScriptLanguage language, IReadOnlyList<string> contents)
    {
        if (!_managers.TryGetValue(language, out var manager)) return [];
        var byPackage = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var requirement in contents.SelectMany(manager.Requirements))
        {
            // Requirements reach the package tool's command line: a spec only, or an option could ride along.
            if (manager.Problem(requirement, _options.AllowUrlRequirements) is { } problem) throw new ArgumentException(problem, nameof(contents));
            byPackage.TryAdd(manager.PackageOf(requirement), requirement);
        }
        return [.. byPackage.Values.Order(StringComparer.OrdinalIgnoreCase)];
    }

    /// <summary>The folder a job links to find an installed set's packages (e.g. <c>node_modules</c>).</summary>
    public string Folder(ScriptLanguage language) => _managers[language].Folder;

    /// <summary>Resolves the requirements against the registry into a lock; the set it installed is kept in the cache.</summary>
    public async Task<DependencyResolution> ResolveAsync(string workspaceId, ScriptLanguage language, IReadOnlyList<string> requirements, TimeSpan timeout, CancellationToken ct)
    {
        var manager = _managers[language];
        if (ExecutableLocator.Find(Interpreter(language)) is null) return new DependencyResolution(false, null, InterpreterMissing(language));
        var staging = Staging(language);
        var tool = Tool(workspaceId, language, timeout, staging);
        try
        {
            var result = await manager.ResolveAsync(requirements, staging, tool, ct);
            Interlocked.Increment(ref _installs);
            if (result is { Succeeded: true, Lock: { } lockText })
            {
                Promote(language, staging, Entry(language, lockText));
                EvictBeyondLimit(keep: Entry(language, lockText));
            }
            return new DependencyResolution(result.Succeeded, result.Lock, result.Logs);
        }
        finally
        {
            DeleteQuietly(staging);
        }
    }

    /// <summary>The installed set of <paramref name="lockText"/>, installing it first if this silo has not yet.</summary>
    /// <exception cref="DependencyInstallException">The package manager failed.</exception>
    public async Task<string> InstallAsync(string workspaceId, ScriptLanguage language, string lockText, TimeSpan timeout, CancellationToken ct)
    {
        var entry = Entry(language, lockText);
        if (IsComplete(language, entry)) return Used(entry);
        var gate = _installing.GetOrAdd(entry, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct);
        try
        {
            if (IsComplete(language, entry)) return Used(entry); // another job installed it meanwhile
            if (ExecutableLocator.Find(Interpreter(language)) is null) throw new DependencyInstallException(InterpreterMissing(language));
            var staging = Staging(language);
            var tool = Tool(workspaceId, language, timeout, staging);
            try
            {
                var result = await _managers[language].InstallAsync(lockText, staging, tool, ct);
                Interlocked.Increment(ref _installs);
                if (!result.Succeeded) throw new DependencyInstallException(result.Logs);
                Promote(language, staging, entry);
                _logger.LogInformation("Installed a {Language} dependency set into {Entry}", language, entry);
                EvictBeyondLimit(keep: entry);
                return entry;
            }
            finally
            {
                DeleteQuietly(staging);
            }
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Marks an entry as used now: eviction removes the least recently used first.</summary>
    private static string Used(string entry)
    {
        try { File.SetLastWriteTimeUtc(Path.Combine(entry, CompleteMarker), DateTime.UtcNow); }
        catch (IOException) { } // removed meanwhile: the job's link fails and the next run installs again
        return entry;
    }

    /// <summary>
    /// Removes the least recently used sets while the cache is over <c>Runtimes:CacheMaxMb</c>. A set used within
    /// the last <see cref="InUseWindow"/> stays, so no running job loses its packages.
    /// </summary>
    private void EvictBeyondLimit(string keep)
    {
        if (_options.CacheMaxMb <= 0) return;
        var entries = Directory.EnumerateDirectories(Root, "*", SearchOption.TopDirectoryOnly)
            .Where(d => Path.GetFileName(d) != "downloads")
            .SelectMany(language => Directory.EnumerateDirectories(language))
            .Where(d => File.Exists(Path.Combine(d, CompleteMarker)))
            .Select(d => (Path: d, Size: SizeOf(d), LastUsed: File.GetLastWriteTimeUtc(Path.Combine(d, CompleteMarker))))
            .OrderBy(e => e.LastUsed)
            .ToList();
        var total = entries.Sum(e => e.Size);
        var limit = (long)_options.CacheMaxMb * 1024 * 1024;
        foreach (var entry in entries)
        {
            if (total <= limit) break;
            if (entry.Path == keep || entry.LastUsed > DateTime.UtcNow - InUseWindow) continue;
            DeleteQuietly(entry.Path);
            total -= entry.Size;
            _logger.LogInformation("Evicted dependency set {Entry} ({Mb:0} MB) to keep the cache under {Limit} MB", entry.Path, entry.Size / 1048576.0, _options.CacheMaxMb);
        }
    }

    private TimeSpan InUseWindow => TimeSpan.FromSeconds(Math.Max(_options.DependencyTimeoutSeconds, 3600));

    private static long SizeOf(string directory) =>
        new DirectoryInfo(directory).EnumerateFiles("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint })
            .Sum(f => f.Length);

    private string Entry(ScriptLanguage language, string lockText) =>
        Path.Combine(Root, language.ToString().ToLowerInvariant(), Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(lockText)))[..32]);

    private bool IsComplete(ScriptLanguage language, string entry) =>
        File.Exists(Path.Combine(entry, CompleteMarker)) && Directory.Exists(Path.Combine(entry, Folder(language)));

    private string Staging(ScriptLanguage language)
    {
        var staging = Path.Combine(Root, language.ToString().ToLowerInvariant(), $"staging-{Guid.NewGuid():N}");
        Directory.CreateDirectory(staging);
        return staging;
    }

    /// <summary>Renames a finished staging folder into place, replacing a damaged entry; another silo's copy that got
    /// there first is kept.</summary>
    private void Promote(ScriptLanguage language, string staging, string entry)
    {
        // The package manager's code wrote into staging as the jobs' user, and may have left a link under the marker's
        // name: remove whatever is there and create the marker anew, so the silo writes no file a link points to.
        var marker = Path.Combine(staging, CompleteMarker);
        File.Delete(marker);
        using (new FileStream(marker, FileMode.CreateNew, FileAccess.Write)) { }
        // The jobs' user wrote it, so it would be theirs to change: it becomes the silo's, and read-only.
        OwnedFolders.Seal(staging);
        if (IsComplete(language, entry)) return;
        DeleteQuietly(entry);
        try { Directory.Move(staging, entry); }
        catch (IOException) when (Directory.Exists(entry)) { } // a concurrent install won the rename
    }

    private string Interpreter(ScriptLanguage language) => language == ScriptLanguage.Bun ? _options.Bun : _options.Python;

    /// <summary>The package manager, allowed to write only into <paramref name="staging"/> and the workspace's download
    /// cache: an install's code (packages run scripts as they install) could alter what a later install finds there, so
    /// no workspace's installs read another's downloads.</summary>
    private PackageTool Tool(string workspaceId, ScriptLanguage language, TimeSpan timeout, string staging)
    {
        var downloads = Path.Combine(Root, "downloads", Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(workspaceId)))[..16],
            language.ToString().ToLowerInvariant());
        Directory.CreateDirectory(downloads);
        var registry = language == ScriptLanguage.Bun ? _options.Npm.Registry : _options.PythonPackages.IndexUrl;
        return new PackageTool(_sandbox, ExecutableLocator.Find(Interpreter(language))!, [staging, downloads], timeout, Redact)
        {
            DownloadCache = downloads,
            HostPorts = JobSandbox.LoopbackPort(registry) is { } port ? [port] : [],
        };
    }

    private string InterpreterMissing(ScriptLanguage language) =>
        $"No {language} interpreter to install packages with: set {RuntimeOptions.Section}:{(language == ScriptLanguage.Bun ? nameof(RuntimeOptions.Bun) : nameof(RuntimeOptions.Python))}.";

    /// <summary>Masks the password of a registry URL wherever a package manager printed it.</summary>
    private string Redact(string logs)
    {
        foreach (var url in new[] { _options.Npm.Registry, _options.PythonPackages.IndexUrl })
            if (url is not null && Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.UserInfo.Split(':', 2) is [_, var password] && password.Length > 0)
                logs = logs.Replace(password, "****").Replace(Uri.EscapeDataString(password), "****");
        return logs;
    }

    private static void DeleteQuietly(string directory)
    {
        try
        {
            if (!Directory.Exists(directory)) return;
            OwnedFolders.Unseal(directory); // a silo that is not root cannot delete from its read-only folders
            Directory.Delete(directory, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }
}

/// <summary>A locked dependency set could not be installed; the message is the package manager's output.</summary>
public sealed class DependencyInstallException(string logs) : Exception(logs);
