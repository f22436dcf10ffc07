using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Npgsql;
using Triggers.Jobs;
using Triggers.Jobs.Execution;
using Triggers.Jobs.Store;
using Triggers.Placement;
using Triggers.Runtimes;
using Triggers.Security;
using Triggers.Telemetry;
using Triggers.Triggers;
using Triggers.Triggers.Kafka;

namespace Triggers.Extensions;

public static class GrainServiceExtensions
{
    /// <summary>
    /// What the grains and workers of a silo need: the job store (PostgreSQL when a connection string is given,
    /// else in memory), the language runtimes, the worker slots, and the trigger framework with its kinds.
    /// </summary>
    public static IServiceCollection AddTriggersGrainServices(this IServiceCollection services, IConfiguration configuration, string? postgres)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.Configure<WorkerOptions>(configuration.GetSection(WorkerOptions.Section));
        services.AddSingleton<JobQueueSignal>();
        if (postgres is null)
        {
            services.AddSingleton<IJobStore, InMemoryJobStore>();
        }
        else
        {
            services.AddSingleton(_ => NpgsqlDataSource.Create(postgres));
            services.AddSingleton<JobWriteBatcher>();
            services.AddSingleton<IJobStore, PostgresJobStore>();
        }
        services.AddPlacementDirector<RoundRobinPlacement, RoundRobinPlacementDirector>();
        services.AddScriptRuntimes(configuration);
        services.AddSingleton<JobCompletions>();
        services.AddSingleton<FlowRunner>();
        services.AddSingleton<DependencyJobs>();
        services.AddSingleton<TriggerMetrics>();
        services.Configure<SecretsOptions>(configuration.GetSection(SecretsOptions.Section));
        services.AddSingleton<SecretProtector>();
        services.AddSingleton<JobTokens>();
        services.AddSingleton<JobVariables>();
        services.AddHostedService<JobWorkerService>();
        services.AddHostedService<DeadWorkerRecovery>();
        services.Configure<JobRetentionOptions>(configuration.GetSection(JobRetentionOptions.Section));
        services.AddSingleton<JobRetention>();
        services.AddHostedService(sp => sp.GetRequiredService<JobRetention>());
        services.AddTriggerFramework();
        services.AddKafkaTriggers(configuration);
        return services;
    }
}
