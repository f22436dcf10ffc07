using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Triggers.Runtimes.Bash;
using Triggers.Runtimes.Bun;
using Triggers.Runtimes.Python;
using Triggers.Scripts;

namespace Triggers.Runtimes;

/// <summary>Runs a script with the runtime registered for its language.</summary>
public sealed class ScriptRunner(IEnumerable<ILanguageRuntime> runtimes)
{
    private readonly IReadOnlyDictionary<ScriptLanguage, ILanguageRuntime> _runtimes = ByLanguage(runtimes);

    /// <inheritdoc cref="ILanguageRuntime.RunAsync"/>
    public Task<ScriptOutcome> RunAsync(ScriptRun run, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(run);
        return _runtimes.TryGetValue(run.Language, out var runtime)
            ? runtime.RunAsync(run, ct)
            : throw new NotSupportedException($"No runtime is registered for {run.Language} scripts.");
    }

    private static Dictionary<ScriptLanguage, ILanguageRuntime> ByLanguage(IEnumerable<ILanguageRuntime> runtimes)
    {
        var byLanguage = new Dictionary<ScriptLanguage, ILanguageRuntime>();
        foreach (var runtime in runtimes)
            if (!byLanguage.TryAdd(runtime.Language, runtime))
                throw new ArgumentException(
                    $"Two runtimes are registered for {runtime.Language} scripts: {byLanguage[runtime.Language].GetType().Name} and {runtime.GetType().Name}.",
                    nameof(runtimes));
        return byLanguage;
    }
}

public static class RuntimeServiceCollectionExtensions
{
    /// <summary>Registers <see cref="ScriptRunner"/> and the bun, python3 and bash runtimes, configured from the
    /// <see cref="RuntimeOptions.Section"/> section.</summary>
    public static IServiceCollection AddScriptRuntimes(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<RuntimeOptions>().Bind(configuration.GetSection(RuntimeOptions.Section));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ILanguageRuntime, BunRuntime>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ILanguageRuntime, PythonRuntime>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ILanguageRuntime, BashRuntime>());
        services.TryAddSingleton<ScriptRunner>();
        return services;
    }
}
