using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Triggers.Runtimes.Bash;
using Triggers.Runtimes.Bun;
using Triggers.Runtimes.Dependencies;
using Triggers.Runtimes.Python;
using Triggers.Runtimes.Sandbox;
using Triggers.Scripts;

namespace Triggers.Runtimes;

/// <summary>Runs a script with the runtime registered for its language, its dependency set installed first.</summary>
/// <param name="dependencies">Installs runs' locked dependency sets; without it, a run with a lock is refused.</param>
public sealed class ScriptRunner(IEnumerable<ILanguageRuntime> runtimes, DependencySets? dependencies = null, IOptions<RuntimeOptions>? options = null)
{
    private readonly IReadOnlyDictionary<ScriptLanguage, ILanguageRuntime> _runtimes = ByLanguage(runtimes);

    /// <inheritdoc cref="ILanguageRuntime.RunAsync"/>
    public async Task<ScriptOutcome> RunAsync(ScriptRun run, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(run);
        if (!_runtimes.TryGetValue(run.Language, out var runtime))
            throw new NotSupportedException($"No runtime is registered for {run.Language} scripts.");
        if (run.Lock is { } lockText)
        {
            if (dependencies is null) throw new InvalidOperationException("This runner installs no dependency sets; the run has a lock.");
            try
            {
                var timeout = TimeSpan.FromSeconds(options?.Value.DependencyTimeoutSeconds ?? new RuntimeOptions().DependencyTimeoutSeconds);
                var workspace = run.Variables?.GetValueOrDefault("WM_WORKSPACE") ?? "";
                var installed = await dependencies.InstallAsync(workspace, run.Language, lockText, timeout, ct);
                run = run with { DependencyDirectory = installed };
            }
            catch (DependencyInstallException e)
            {
                return ScriptOutcome.Failure(JobFailures.DependencyInstall(e.Message), new System.Text.Json.Nodes.JsonObject(), e.Message);
            }
        }
        return await runtime.RunAsync(run, ct);
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
    /// <see cref="RuntimeOptions.Section"/> section, and the <see cref="JobSandbox"/> their jobs run in.</summary>
    public static IServiceCollection AddScriptRuntimes(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<RuntimeOptions>().Bind(configuration.GetSection(RuntimeOptions.Section)).Configure(options =>
        {
            // Runtimes:Python names the interpreter and Runtimes:Python:IndexUrl the package index beside it; with only
            // the index set, binding leaves no interpreter, so the default comes back.
            options.PythonPackages.IndexUrl ??= configuration[$"{RuntimeOptions.Section}:Python:IndexUrl"];
            if (string.IsNullOrEmpty(options.Python)) options.Python = new RuntimeOptions().Python;
        });
        services.AddOptions<SandboxOptions>().Bind(configuration.GetSection(SandboxOptions.Section));
        services.TryAddSingleton(sp => JobSandbox.Create(sp.GetRequiredService<IOptions<SandboxOptions>>().Value, sp.GetRequiredService<ILogger<JobSandbox>>(),
            () => sp.GetService<Jobs.Execution.IInternalApiAddress>()?.BaseUrl));
        services.TryAddSingleton<DependencySets>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ILanguageRuntime, BunRuntime>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ILanguageRuntime, PythonRuntime>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ILanguageRuntime, BashRuntime>());
        services.TryAddSingleton<ScriptRunner>();
        return services;
    }
}
