using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Orleans;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Runtime;
using Orleans.Storage;
using Orleans.TestingHost;
using Triggers.Silo.Storage;
using Triggers.Tests.Infrastructure;

namespace Triggers.Tests.Storage;

/// <summary>
/// Our hand-written PostgreSQL schema for Orleans' ADO.NET providers (0001_orleans.sql), checked against the
/// real providers: a migrated database must carry a real silo cluster, its grain state and its reminders.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class OrleansSchemaTests(PostgresFixture postgres)
{
    private static readonly string[] ExpectedQueryKeys =
    [
        // clustering
        "InsertMembershipVersionKey", "InsertMembershipKey", "UpdateMembershipKey", "UpdateIAmAlivetimeKey",
        "MembershipReadRowKey", "MembershipReadAllKey", "GatewaysQueryKey", "CleanupDefunctSiloEntriesKey",
        "DeleteMembershipTableEntriesKey",
        // grain persistence
        "ReadFromStorageKey", "WriteToStorageKey", "ClearStorageKey", "DeleteStorageKey",
        // reminders
        "UpsertReminderRowKey", "ReadReminderRowsKey", "ReadReminderRowKey", "ReadRangeRows1Key",
        "ReadRangeRows2Key", "DeleteReminderRowKey", "DeleteReminderRowsKey",
    ];

    [Fact]
    public async Task Migrating_twice_is_idempotent_and_records_every_script()
    {
        var connectionString = await postgres.CreateDatabaseAsync();
        var logger = new ListLogger<SchemaMigrator>();
        var migrator = new SchemaMigrator(connectionString, logger);
        var scripts = SchemaMigrator.LoadScripts().Select(s => s.Id).ToList();
        Assert.Contains("0001_orleans", scripts);
        Assert.Equal(scripts.Order(StringComparer.Ordinal), scripts);

        await migrator.MigrateAsync(CancellationToken.None);
        Assert.Equal(scripts.Count, logger.Messages.Count(m => m.Contains("Applied schema script")));
        var recorded = await ReadMigrationsAsync(connectionString);
        Assert.Equal(scripts, recorded.Keys.Order(StringComparer.Ordinal));
        var queries = await ReadQueriesAsync(connectionString);
        Assert.Empty(ExpectedQueryKeys.Except(queries.Keys));

        // Second run: nothing applied, nothing changed.
        logger.Messages.Clear();
        await migrator.MigrateAsync(CancellationToken.None);
        Assert.DoesNotContain(logger.Messages, m => m.Contains("schema script"));
        Assert.Equal(recorded, await ReadMigrationsAsync(connectionString));
        Assert.Equal(queries, await ReadQueriesAsync(connectionString));

        // The script itself is idempotent too: running its text again over the migrated schema works.
        var orleansSql = SchemaMigrator.LoadScripts().Single(s => s.Id == "0001_orleans").Sql;
        await ExecuteAsync(connectionString, orleansSql);

        // A script whose content changed since it was recorded is applied again (that is how upgraded
        // query texts land), and only that one.
        await ExecuteAsync(connectionString, """
            UPDATE schema_migrations SET sha256 = 'outdated' WHERE id = '0001_orleans';
            UPDATE OrleansQuery SET QueryText = 'SELECT 1' WHERE QueryKey = 'GatewaysQueryKey';
            """);
        logger.Messages.Clear();
        await migrator.MigrateAsync(CancellationToken.None);
        Assert.Equal("0001_orleans", Assert.Single(logger.Messages, m => m.Contains("schema script")).Split(' ')[3]);
        Assert.Equal(queries, await ReadQueriesAsync(connectionString));
        var rerecorded = await ReadMigrationsAsync(connectionString);
        Assert.Equal(recorded["0001_orleans"].Split('@')[0], rerecorded["0001_orleans"].Split('@')[0]); // sha256 again
        Assert.NotEqual(recorded["0001_orleans"], rerecorded["0001_orleans"]);                           // newer applied_at
    }

    [Fact]
    public async Task Silos_starting_together_migrate_a_fresh_database_once()
    {
        var connectionString = await postgres.CreateDatabaseAsync();
        var loggers = Enumerable.Range(0, 4).Select(_ => new ListLogger<SchemaMigrator>()).ToList();

        await Task.WhenAll(loggers.Select(l => Task.Run(() => new SchemaMigrator(connectionString, l).MigrateAsync(CancellationToken.None))));

        var applied = loggers.Sum(l => l.Messages.Count(m => m.Contains("Applied schema script")));
        Assert.Equal(SchemaMigrator.LoadScripts().Count, applied);
    }

    [Fact]
    public async Task A_real_cluster_runs_on_the_schema_with_persistent_state_and_membership()
    {
        var connectionString = await MigratedDatabaseAsync();
        await using var cluster = await StartClusterAsync(connectionString);
        var clusterId = cluster.Options.ClusterId;
        var serviceId = cluster.Options.ServiceId;

        // Membership: both silos registered as Active in our table, and the version row moved on.
        var members = await QueryAsync(connectionString,
            "SELECT status FROM orleans_membership WHERE cluster_id = @c", r => r.GetInt32(0), ("c", clusterId));
        Assert.Equal(new[] { 3, 3 }, members);
        var version = await ScalarAsync<int>(connectionString,
            "SELECT version FROM orleans_membership_version WHERE cluster_id = @c", ("c", clusterId));
        Assert.True(version >= 2, $"membership version {version}");
        var aliveAgo = await QueryAsync(connectionString,
            "SELECT extract(epoch FROM now() - i_am_alive_time)::float8 FROM orleans_membership WHERE cluster_id = @c",
            r => r.GetDouble(0), ("c", clusterId));
        Assert.All(aliveAgo, seconds => Assert.InRange(seconds, -5, 120));
        // (The test cluster's client, configured with ADO.NET clustering only, found its gateways through
        // GatewaysQueryKey before DeployAsync returned.)

        // Grain state: written by one activation, read back by the next one.
        var grain = cluster.Client.GetGrain<ISchemaProbeGrain>($"probe-{Guid.NewGuid():N}");
        var first = await grain.Read();
        Assert.False(first.RecordExists);
        Assert.Null(first.ETag);
        Assert.Equal("1", await grain.Write("one"));
        Assert.Equal("2", await grain.Write("two"));
        await grain.Deactivate();
        var second = await Eventually.WaitAsync(grain.Read, s => s.ActivationId != first.ActivationId,
            TimeSpan.FromSeconds(30), "a new activation");
        Assert.Equal(((string?)"two", 2, (string?)"2", true), (second.Value, second.Writes, second.ETag, second.RecordExists));
        var rows = await ScalarAsync<long>(connectionString,
            "SELECT count(*) FROM orleans_grain_state WHERE service_id = @s", ("s", serviceId));
        Assert.Equal(1, rows);

        // Someone else wrote in between (as a duplicate activation would): the stale ETag is refused.
        await ExecuteAsync(connectionString,
            "UPDATE orleans_grain_state SET version = version + 1 WHERE service_id = @s", ("s", serviceId));
        await Assert.ThrowsAnyAsync<InconsistentStateException>(() => grain.Write("three"));
        // Orleans drops the activation on that exception; the next one reloads and can write again.
        Assert.Equal("4", await grain.Write("three"));

        // Clearing keeps the row but bumps its version.
        await grain.Clear();
        await grain.Deactivate();
        var cleared = await Eventually.WaitAsync(grain.Read, s => s.ActivationId != second.ActivationId,
            TimeSpan.FromSeconds(30), "a new activation");
        Assert.Equal(((string?)null, 0, (string?)"5", false), (cleared.Value, cleared.Writes, cleared.ETag, cleared.RecordExists));

        // The provider directly: concurrent writers with the same ETag, and two "first" writers.
        // Without test-cluster membership there is no "primary" silo: all of them are in Silos.
        var survivor = cluster.Silos[0];
        var services = ((InProcessSiloHandle)survivor).ServiceProvider;
        await ConcurrentWritersConflictAsync(services.GetRequiredKeyedService<IGrainStorage>("Default"), deleteOnClear: false);
        await ConcurrentWritersConflictAsync(services.GetRequiredKeyedService<IGrainStorage>("DeleteOnClear"), deleteOnClear: true);

        // Membership housekeeping through the provider: a stopped silo is Dead and can be cleaned up.
        var membershipTable = services.GetRequiredService<IMembershipTable>();
        await cluster.StopSiloAsync(cluster.Silos[1]);
        var statuses = await QueryAsync(connectionString,
            "SELECT status FROM orleans_membership WHERE cluster_id = @c ORDER BY status", r => r.GetInt32(0), ("c", clusterId));
        Assert.Equal(new[] { 3, 6 }, statuses);
        await membershipTable.CleanupDefunctSiloEntriesAsync(DateTimeOffset.UtcNow.AddMinutes(1), CancellationToken.None);
        var all = await membershipTable.ReadAllAsync(CancellationToken.None);
        Assert.Equal(SiloStatus.Active, Assert.Single(all.Members).Item1.Status);
        Assert.InRange(all.Members[0].Item1.StartTime, DateTime.UtcNow.AddMinutes(-2), DateTime.UtcNow.AddSeconds(5));
        Assert.Equal(survivor.SiloAddress, all.Members[0].Item1.SiloAddress);

        await cluster.StopAllSilosAsync();
        await membershipTable.DeleteMembershipTableEntriesAsync(clusterId, CancellationToken.None);
        Assert.Equal(0L, await ScalarAsync<long>(connectionString,
            "SELECT count(*) FROM orleans_membership_version WHERE cluster_id = @c", ("c", clusterId)));
        Assert.Equal(0L, await ScalarAsync<long>(connectionString,
            "SELECT count(*) FROM orleans_membership WHERE cluster_id = @c", ("c", clusterId)));
    }

    [Fact]
    public async Task Reminders_can_be_registered_listed_fired_read_by_range_and_removed()
    {
        var connectionString = await MigratedDatabaseAsync();
        await using var cluster = await StartClusterAsync(connectionString);
        var serviceId = cluster.Options.ServiceId;
        var grain = cluster.Client.GetGrain<ISchemaProbeGrain>($"reminders-{Guid.NewGuid():N}");
        var other = cluster.Client.GetGrain<ISchemaProbeGrain>($"reminders-{Guid.NewGuid():N}");

        await grain.RegisterReminder("tick", TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
        await grain.RegisterReminder("slow", TimeSpan.FromMinutes(10), TimeSpan.FromMinutes(10));
        await grain.RegisterReminder("slow", TimeSpan.FromMinutes(20), TimeSpan.FromMinutes(20)); // an update
        await other.RegisterReminder("slow", TimeSpan.FromMinutes(10), TimeSpan.FromMinutes(10));

        Assert.Equal(new[] { "slow", "tick" }, await grain.ListReminders());
        Assert.True(await grain.HasReminder("tick"));
        Assert.False(await grain.HasReminder("missing"));
        await Eventually.WaitAsync(grain.ReminderTicks, n => n >= 1, TimeSpan.FromSeconds(30), "the reminder to fire");
        var periods = await QueryAsync(connectionString,
            "SELECT reminder_name || ':' || period_ms || ':' || version FROM orleans_reminder WHERE service_id = @s AND grain_id = @g ORDER BY 1",
            r => r.GetString(0), ("s", serviceId), ("g", grain.GetGrainId().ToString()));
        Assert.Equal(new[] { "slow:1200000:2", "tick:1000:1" }, periods);
        var slowDueIn = await ScalarAsync<double>(connectionString,
            "SELECT extract(epoch FROM start_time - now())::float8 FROM orleans_reminder WHERE grain_id = @g AND reminder_name = 'slow'",
            ("g", grain.GetGrainId().ToString()));
        Assert.InRange(slowDueIn, 19 * 60, 20 * 60 + 5);

        await grain.UnregisterReminder("tick");
        Assert.Equal(new[] { "slow" }, await grain.ListReminders());
        Assert.False(await grain.HasReminder("tick"));

        // Both range forms, straight through the provider. The grain's hash h is in (h-1, h] and not in the
        // wrapping range (h, h-1], which holds every other hash.
        var table = ((InProcessSiloHandle)cluster.Silos[0]).ServiceProvider.GetRequiredService<IReminderTable>();
        var h = grain.GetGrainId().GetUniformHashCode();
        var otherId = other.GetGrainId();
        Assert.True((int)(h - 1) < (int)h, "the test grain's hash sits on the int32 boundary; rename it");
        var narrow = await table.ReadRows(h - 1, h);
        Assert.Equal(new[] { "slow" }, narrow.Reminders.Where(r => r.GrainId == grain.GetGrainId()).Select(r => r.ReminderName));
        Assert.DoesNotContain(narrow.Reminders, r => r.GrainId == otherId && otherId.GetUniformHashCode() != h);
        var wrapping = await table.ReadRows(h, h - 1);
        Assert.DoesNotContain(wrapping.Reminders, r => r.GrainId == grain.GetGrainId());
        Assert.Contains(wrapping.Reminders, r => r.GrainId == otherId);
        var everything = await table.ReadRows(0u, 0u);
        Assert.Equal(2, everything.Reminders.Count);

        // An outdated ETag does not delete; the current one does.
        var slow = await table.ReadRow(otherId, "slow") ?? throw new Xunit.Sdk.XunitException("no reminder row");
        Assert.False(await table.RemoveRow(otherId, "slow", "999"));
        Assert.True(await table.RemoveRow(otherId, "slow", slow.ETag!));
        Assert.Null(await table.ReadRow(otherId, "slow"));

        await table.TestOnlyClearTable();
        Assert.Empty((await table.ReadRows(grain.GetGrainId())).Reminders);
        Assert.Equal(0L, await ScalarAsync<long>(connectionString,
            "SELECT count(*) FROM orleans_reminder WHERE service_id = @s", ("s", serviceId)));
    }

    /// <summary>Two in-memory copies of the same grain state race each other through the storage provider.</summary>
    private static async Task ConcurrentWritersConflictAsync(IGrainStorage storage, bool deleteOnClear)
    {
        const string grainType = "schema-tests.direct";
        var id = GrainId.Create("direct", $"{Guid.NewGuid():N}+with-extension");
        GrainState<SchemaProbeState> Fresh() => new(new SchemaProbeState());

        var a = Fresh();
        var b = Fresh();
        await storage.ReadStateAsync(grainType, id, a);
        await storage.ReadStateAsync(grainType, id, b);
        a.State!.Value = "a";
        await storage.WriteStateAsync(grainType, id, a);
        Assert.Equal("1", a.ETag);
        // b also believes there is no record yet.
        b.State!.Value = "b";
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync(grainType, id, b));

        // Both hold version 1; only the first to write wins.
        await storage.ReadStateAsync(grainType, id, b);
        Assert.Equal(((string?)"a", (string?)"1", true), (b.State!.Value, b.ETag, b.RecordExists));
        a.State!.Value = "a2";
        await storage.WriteStateAsync(grainType, id, a);
        Assert.Equal("2", a.ETag);
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync(grainType, id, b));

        // Many writers with the same ETag at once: exactly one succeeds.
        var racers = new List<GrainState<SchemaProbeState>>();
        for (var i = 0; i < 8; i++)
        {
            var copy = Fresh();
            await storage.ReadStateAsync(grainType, id, copy);
            copy.State!.Value = $"racer-{i}";
            racers.Add(copy);
        }
        var outcomes = await Task.WhenAll(racers.Select(async r =>
        {
            try { await storage.WriteStateAsync(grainType, id, r); return true; }
            catch (InconsistentStateException) { return false; }
        }));
        Assert.Single(outcomes, ok => ok);

        // Clearing with a stale ETag fails; with the current one it works.
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.ClearStateAsync(grainType, id, a));
        var current = Fresh();
        await storage.ReadStateAsync(grainType, id, current);
        Assert.Equal("3", current.ETag);
        await storage.ClearStateAsync(grainType, id, current);
        Assert.False(current.RecordExists);

        var after = Fresh();
        await storage.ReadStateAsync(grainType, id, after);
        Assert.False(after.RecordExists);
        Assert.Null(after.State!.Value);
        if (deleteOnClear)
        {
            // The row is gone: a new first write starts over.
            Assert.Null(current.ETag);
            Assert.Null(after.ETag);
            after.State!.Value = "again";
            await storage.WriteStateAsync(grainType, id, after);
            Assert.Equal("1", after.ETag);
        }
        else
        {
            // The row stays with a bumped version, so the cleared copy can keep writing.
            Assert.Equal("4", current.ETag);
            Assert.Equal("4", after.ETag);
            current.State!.Value = "again";
            await storage.WriteStateAsync(grainType, id, current);
            Assert.Equal("5", current.ETag);
        }
    }

    private async Task<string> MigratedDatabaseAsync()
    {
        var connectionString = await postgres.CreateDatabaseAsync();
        // Sessions in a zone far from UTC: a timestamp/timestamptz mix-up would shift times by hours.
        var database = new NpgsqlConnectionStringBuilder(connectionString).Database;
        await ExecuteAsync(connectionString, $"ALTER DATABASE {database} SET timezone TO 'Pacific/Chatham'");
        await new SchemaMigrator(connectionString, NullLogger<SchemaMigrator>.Instance).MigrateAsync(CancellationToken.None);
        return connectionString;
    }

    private static async Task<TestCluster> StartClusterAsync(string connectionString)
    {
        var builder = new TestClusterBuilder(2);
        builder.Options.UseTestClusterMembership = false;
        builder.Options.ConfigureFileLogging = false;
        builder.Properties[PostgresSiloConfigurator.ConnectionStringKey] = connectionString;
        builder.AddSiloBuilderConfigurator<PostgresSiloConfigurator>();
        builder.AddClientBuilderConfigurator<PostgresClientConfigurator>();
        var cluster = builder.Build();
        await cluster.DeployAsync();
        return cluster;
    }

    private static async Task<Dictionary<string, string>> ReadMigrationsAsync(string connectionString) =>
        (await QueryAsync(connectionString, "SELECT id, sha256 || '@' || applied_at::text FROM schema_migrations",
            r => (r.GetString(0), r.GetString(1)))).ToDictionary(x => x.Item1, x => x.Item2);

    private static async Task<Dictionary<string, string>> ReadQueriesAsync(string connectionString) =>
        (await QueryAsync(connectionString, "SELECT QueryKey, QueryText FROM OrleansQuery",
            r => (r.GetString(0), r.GetString(1)))).ToDictionary(x => x.Item1, x => x.Item2);

    private static async Task<List<T>> QueryAsync<T>(string connectionString, string sql, Func<NpgsqlDataReader, T> map,
        params (string Name, object Value)[] parameters)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value);
        await using var reader = await command.ExecuteReaderAsync();
        var results = new List<T>();
        while (await reader.ReadAsync()) results.Add(map(reader));
        return results;
    }

    private static async Task<T> ScalarAsync<T>(string connectionString, string sql, params (string Name, object Value)[] parameters) =>
        (await QueryAsync(connectionString, sql, r => r.GetFieldValue<T>(0), parameters)).Single();

    private static async Task ExecuteAsync(string connectionString, string sql, params (string Name, object Value)[] parameters)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value);
        await command.ExecuteNonQueryAsync();
    }
}

/// <summary>Silo side of the test cluster: ADO.NET clustering, storage and reminders on our schema.</summary>
public sealed class PostgresSiloConfigurator : ISiloConfigurator
{
    public const string ConnectionStringKey = "SchemaTests:Postgres";

    public void Configure(ISiloBuilder siloBuilder)
    {
        var connectionString = siloBuilder.Configuration[ConnectionStringKey]
            ?? throw new InvalidOperationException($"{ConnectionStringKey} is not configured.");
        siloBuilder.UseAdoNetClustering(o => { o.Invariant = "Npgsql"; o.ConnectionString = connectionString; });
        siloBuilder.AddAdoNetGrainStorageAsDefault(o => { o.Invariant = "Npgsql"; o.ConnectionString = connectionString; });
        siloBuilder.AddAdoNetGrainStorage("DeleteOnClear", o =>
        {
            o.Invariant = "Npgsql";
            o.ConnectionString = connectionString;
            o.DeleteStateOnClear = true;
        });
        siloBuilder.UseAdoNetReminderService(o => { o.Invariant = "Npgsql"; o.ConnectionString = connectionString; });
        siloBuilder.Configure<ReminderOptions>(o => o.MinimumReminderPeriod = TimeSpan.FromSeconds(1));
    }
}

/// <summary>Client side: finds the gateways through the ADO.NET clustering table.</summary>
public sealed class PostgresClientConfigurator : IClientBuilderConfigurator
{
    public void Configure(IConfiguration configuration, IClientBuilder clientBuilder)
    {
        var connectionString = configuration[PostgresSiloConfigurator.ConnectionStringKey]
            ?? throw new InvalidOperationException($"{PostgresSiloConfigurator.ConnectionStringKey} is not configured.");
        clientBuilder.UseAdoNetClustering(o => { o.Invariant = "Npgsql"; o.ConnectionString = connectionString; });
    }
}

/// <summary>Keeps formatted log lines so tests can check what was logged.</summary>
internal sealed class ListLogger<T> : ILogger<T>
{
    public List<string> Messages { get; } = [];

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel)) return;
        lock (Messages) Messages.Add(formatter(state, exception));
    }
}
