using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using Triggers.Resources;
using Triggers.Scripts;
using Triggers.Silo.Extensions;
using Triggers.Triggers.Kafka;
using Triggers.Validation;
using Triggers.Workspaces;

namespace Triggers.Benchmarks;

/// <summary>A real silo (the same wiring as the Silo host) in PostgreSQL mode, in this process.</summary>
internal sealed class BenchSilo : IAsyncDisposable
{
    private readonly WebApplication _app;

    private BenchSilo(WebApplication app) => _app = app;

    public IGrainFactory Grains => _app.Services.GetRequiredService<IGrainFactory>();

    public IServiceProvider Services => _app.Services;

    public static async Task<BenchSilo> StartAsync(string postgres, int workers, string? bun = null, int fetchWaitMaxMs = 500)
    {
        var builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders();
        builder.Configuration["ConnectionStrings:Postgres"] = postgres;
        builder.Configuration["Auth:AdminToken"] = "bench";
        builder.Configuration["Workers:Count"] = workers.ToString();
        builder.Configuration["Jobs:RetentionDays"] = "0"; // the history benchmark sweeps on its own clock
        builder.Configuration["Kafka:SessionTimeoutMs"] = "6000";
        builder.Configuration["Kafka:FetchWaitMaxMs"] = fetchWaitMaxMs.ToString();
        builder.Configuration["Orleans:ClusterId"] = $"bench-{Guid.NewGuid():N}";
        builder.Configuration["Orleans:SiloPort"] = "21111";
        builder.Configuration["Orleans:GatewayPort"] = "21112";
        if (bun is not null) builder.Configuration["Runtimes:Bun"] = bun;
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.AddTriggersSilo();
        var app = builder.Build();
        await app.PrepareStorageAsync();
        app.MapTriggersEndpoints();
        await app.StartAsync();
        return new BenchSilo(app);
    }

    /// <summary>A workspace with a Kafka resource and a Bun script, ready for triggers.</summary>
    public async Task DefineAsync(string ws, string bootstrap, string script, bool dedicated = false)
    {
        await Grains.GetGrain<IWorkspaceGrain>(ws).CreateAsync(ws);
        await Grains.GetGrain<IResourceGrain>(Names.ItemKey(ws, "u/bench/kafka")).CreateAsync(new Resource
        {
            ResourceType = "kafka",
            Value = System.Text.Json.JsonSerializer.SerializeToElement(new { brokers = bootstrap.Split(','), security = new { label = "PLAINTEXT" } }),
        });
        await Grains.GetGrain<IScriptGrain>(Names.ItemKey(ws, "u/bench/script")).CreateAsync(new Script { Language = ScriptLanguage.Bun, Content = script, DedicatedWorker = dedicated });
    }

    public Task CreateTriggerAsync(string ws, string path, string topic, int batchSize = 1) =>
        Grains.GetGrain<IKafkaTriggerGrain>(Names.ItemKey(ws, path)).CreateAsync(new KafkaTrigger
        {
            // The benchmarks produce their backlog before the trigger exists.
            ScriptPath = "u/bench/script", KafkaResourcePath = "u/bench/kafka", Topics = [topic], BatchSize = batchSize,
            AutoOffsetReset = AutoOffsetReset.Earliest,
        });

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    public static async Task<string> CreateDatabaseAsync(string postgres)
    {
        var name = $"bench_{Guid.NewGuid():N}";
        await using var db = NpgsqlDataSource.Create(postgres);
        await using var cmd = db.CreateCommand($"CREATE DATABASE {name}");
        await cmd.ExecuteNonQueryAsync();
        return new NpgsqlConnectionStringBuilder(postgres) { Database = name }.ConnectionString;
    }
}
