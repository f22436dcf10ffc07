using System.Diagnostics;
using Npgsql;

namespace Triggers.Tests.Infrastructure;

/// <summary>Tests that need a real PostgreSQL share one server (and this fixture) through this collection.</summary>
[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresFixture>
{
    public const string Name = "PostgreSQL";
}

/// <summary>
/// A real PostgreSQL for tests: <c>scripts/postgres.sh</c> is run once per test process to install/start the
/// throw-away server, and every fixture instance gets its own freshly created, empty database.
/// </summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    private static readonly SemaphoreSlim ServerGate = new(1, 1);
    private static string? _serverConnectionString;

    private readonly List<string> _databases = [];

    /// <summary>Connection string of this fixture's own fresh (unmigrated) database.</summary>
    public string ConnectionString { get; private set; } = "";

    public async Task InitializeAsync() => ConnectionString = await CreateDatabaseAsync();

    /// <summary>Creates another fresh, empty database and returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync()
    {
        var server = await GetServerAsync();
        var name = $"triggers_test_{Guid.NewGuid():N}";
        await using (var connection = new NpgsqlConnection(server))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            await create.ExecuteNonQueryAsync();
        }
        lock (_databases) _databases.Add(name);
        return new NpgsqlConnectionStringBuilder(server) { Database = name }.ConnectionString;
    }

    public async Task DisposeAsync()
    {
        string[] databases;
        lock (_databases) databases = [.. _databases];
        if (databases.Length == 0 || _serverConnectionString is null) return;

        // Best effort: the server is throw-away anyway, this only keeps it from filling up across runs.
        NpgsqlConnection.ClearAllPools();
        try
        {
            await using var connection = new NpgsqlConnection(_serverConnectionString);
            await connection.OpenAsync();
            foreach (var name in databases)
            {
                await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {name} WITH (FORCE)", connection);
                await drop.ExecuteNonQueryAsync();
            }
        }
        catch (NpgsqlException)
        {
        }
    }

    private static async Task<string> GetServerAsync()
    {
        if (_serverConnectionString is { } known) return known;
        await ServerGate.WaitAsync();
        try
        {
            return _serverConnectionString ??= await RunPostgresScriptAsync();
        }
        finally
        {
            ServerGate.Release();
        }
    }

    private static async Task<string> RunPostgresScriptAsync()
    {
        var script = Path.Combine(RepoPaths.Root, "scripts", "postgres.sh");
        var start = new ProcessStartInfo("bash")
        {
            ArgumentList = { script },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = RepoPaths.Root,
        };
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not run {script}.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        // Generous: on a fresh machine the script first installs PostgreSQL with apt-get.
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{script} did not finish within 10 minutes. stderr:\n{await stderr}");
        }
        var output = (await stdout).Trim();
        if (process.ExitCode != 0 || output.Length == 0)
            throw new InvalidOperationException($"{script} failed with exit code {process.ExitCode}. stderr:\n{await stderr}");
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1].Trim();
    }
}
