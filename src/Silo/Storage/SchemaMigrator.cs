using System.Reflection;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Npgsql;
using Triggers.Jobs.Store;

namespace Triggers.Silo.Storage;

/// <summary>
/// Creates or upgrades the PostgreSQL schema from the SQL scripts embedded in this assembly (Orleans' tables,
/// <c>Storage/Sql/</c>) and in the grains' (the job tables, <c>Jobs/Store/Sql/</c>), named <c>NNNN_name.sql</c> and
/// applied in name order, all in one transaction.
/// </summary>
/// <remarks>
/// A script runs once and is recorded in <c>schema_migrations</c> with its SHA-256. Scripts are written to be
/// idempotent, so one whose content changed since it was recorded is simply run again: that is how edited
/// Orleans query texts reach existing databases. Silos starting together serialise on an advisory lock.
/// </remarks>
public sealed partial class SchemaMigrator(string connectionString, ILogger<SchemaMigrator> logger)
{
    /// <summary>Key of the transaction-level advisory lock held while migrating ("TRIGSQL1" in ASCII).</summary>
    private const long AdvisoryLockKey = 0x5452_4947_5351_4C31;

    [GeneratedRegex(@"(?:^|\.)Sql\.(?<name>\d{4}_[^.]+)\.sql$", RegexOptions.CultureInvariant)]
    private static partial Regex ScriptResourceName();

    /// <summary>The embedded scripts in the order they are applied: (id such as "0001_orleans", SQL text).</summary>
    internal static IReadOnlyList<(string Id, string Sql)> LoadScripts()
    {
        var scripts = new List<(string Id, string Sql)>();
        var resources = new[] { typeof(SchemaMigrator).Assembly, typeof(PostgresJobStore).Assembly }
            .SelectMany(assembly => assembly.GetManifestResourceNames().Select(name => (Assembly: assembly, Name: name)));
        foreach (var (assembly, resource) in resources)
        {
            var match = ScriptResourceName().Match(resource);
            if (!match.Success) continue;
            using var stream = assembly.GetManifestResourceStream(resource)
                ?? throw new InvalidOperationException($"Embedded resource {resource} cannot be read.");
            using var reader = new StreamReader(stream);
            scripts.Add((match.Groups["name"].Value, reader.ReadToEnd()));
        }
        scripts.Sort((a, b) => string.CompareOrdinal(a.Id, b.Id));
        for (var i = 1; i < scripts.Count; i++)
            if (scripts[i].Id == scripts[i - 1].Id)
                throw new InvalidOperationException($"Two embedded schema scripts are named {scripts[i].Id}.");
        return scripts;
    }

    public async Task MigrateAsync(CancellationToken ct)
    {
        var scripts = LoadScripts();
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);

        // Held until commit/rollback; other silos wait here and then find the work done.
        await ExecuteAsync(connection, transaction, $"SELECT pg_advisory_xact_lock({AdvisoryLockKey})", ct, timeoutSeconds: 0);
        await ExecuteAsync(connection, transaction, """
            CREATE TABLE IF NOT EXISTS schema_migrations (
                id         text        PRIMARY KEY,
                applied_at timestamptz NOT NULL DEFAULT now()
            );
            ALTER TABLE schema_migrations ADD COLUMN IF NOT EXISTS sha256 text;
            """, ct);

        var applied = new Dictionary<string, string?>(StringComparer.Ordinal);
        await using (var read = new NpgsqlCommand("SELECT id, sha256 FROM schema_migrations", connection, transaction))
        await using (var reader = await read.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
                applied[reader.GetString(0)] = reader.IsDBNull(1) ? null : reader.GetString(1);
        }

        var changed = 0;
        foreach (var (id, sql) in scripts)
        {
            var hash = Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(sql)));
            var known = applied.TryGetValue(id, out var appliedHash);
            if (known && appliedHash == hash) continue;

            await ExecuteAsync(connection, transaction, sql, ct, timeoutSeconds: 300);
            await using (var record = new NpgsqlCommand("""
                INSERT INTO schema_migrations (id, sha256, applied_at) VALUES (@id, @sha256, now())
                ON CONFLICT (id) DO UPDATE SET sha256 = EXCLUDED.sha256, applied_at = EXCLUDED.applied_at
                """, connection, transaction))
            {
                record.Parameters.AddWithValue("id", id);
                record.Parameters.AddWithValue("sha256", hash);
                await record.ExecuteNonQueryAsync(ct);
            }
            changed++;
            logger.LogInformation(
                known ? "Re-applied schema script {Script} (content changed, sha256 {Hash})" : "Applied schema script {Script} (sha256 {Hash})",
                id, hash[..12]);
        }

        await transaction.CommitAsync(ct);
        if (changed == 0)
            logger.LogDebug("Database schema is up to date ({Count} scripts)", scripts.Count);
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql,
        CancellationToken ct, int timeoutSeconds = 30)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction) { CommandTimeout = timeoutSeconds };
        await command.ExecuteNonQueryAsync(ct);
    }
}
