using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Triggers.Jobs;

namespace Triggers.Triggers;

public static class TriggerServiceExtensions
{
    /// <summary>The framework every trigger kind runs on: the registry the job path asks, and resume at startup and on silo loss.</summary>
    public static IServiceCollection AddTriggerFramework(this IServiceCollection services)
    {
        services.TryAddSingleton<TriggerKinds>();
        services.TryAddSingleton<IJobTriggers>(sp => sp.GetRequiredService<TriggerKinds>());
        services.AddHostedService<TriggerResumeService>();
        return services;
    }

    /// <summary>Registers a trigger kind: the one line a new kind adds besides its own folder.</summary>
    public static IServiceCollection AddTriggerKind<TKind>(this IServiceCollection services) where TKind : class, ITriggerKind
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ITriggerKind, TKind>());
        return services;
    }
}
