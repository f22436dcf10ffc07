using System.Text.Json.Nodes;
using Triggers.Runtimes.Sandbox;
using Triggers.Scripts;

namespace Triggers.Runtimes;

/// <summary>
/// The life of a job that every language shares: find the interpreter, make a private directory, run one process
/// under the time limit, clean up. A language only says what to put in the directory and how to read the outcome.
/// </summary>
public abstract class ScriptProcessRuntime : ILanguageRuntime
{
    private readonly string _command;
    private string? _executable;
    private readonly string _configurationKey;

    /// <param name="command">The interpreter as configured in <see cref="RuntimeOptions"/>.</param>
    /// <param name="configurationKey">Where that is configured, for the error when it cannot be found.</param>
    private protected ScriptProcessRuntime(string command, string configurationKey, JobSandbox sandbox)
    {
        _command = command;
        _configurationKey = configurationKey;
        Sandbox = sandbox;
    }

    /// <summary>What every job process of this runtime starts in.</summary>
    private protected JobSandbox Sandbox { get; }

    public abstract ScriptLanguage Language { get; }

    public virtual async Task<ScriptOutcome> RunAsync(ScriptRun run, CancellationToken ct)
    {
        if (FindExecutable(run) is not { } executable) return RuntimeNotFound();

        var launcher = Sandbox.RentLauncher(executable, ReadOnlyPaths(run));
        try
        {
            using var directory = launcher?.CreateDirectory() ?? Sandbox.CreateDirectory();
            var launch = Prepare(run, directory);
            var command = Command(executable, launch.Arguments, directory, run) with { Environment = run.Variables, ResultFiles = launch.ResultFiles };
            var exit = launcher is null
                ? await JobProcess.RunAsync(Sandbox, command, run.Timeout, ct)
                : await launcher.RunAsync(command, run.Timeout, ct);
            return exit.TimedOut
                ? ScriptOutcome.Failure(JobFailures.Timeout(run.Timeout), launch.KnownMainArgs, exit.Logs)
                : ReadOutcome(directory, exit, launch.KnownMainArgs);
        }
        finally
        {
            if (launcher is not null) Sandbox.ReturnLauncher(launcher);
        }
    }

    /// <summary>Checks that the run is this language's, and finds the interpreter (null when it is not installed).</summary>
    private protected string? FindExecutable(ScriptRun run)
    {
        ArgumentNullException.ThrowIfNull(run);
        if (run.Language != Language)
            throw new ArgumentException($"The {Language} runtime cannot run a {run.Language} script.", nameof(run));
        // Found once: a walk of the PATH per job showed in profiles. Not found is not remembered, so an interpreter
        // installed later is found then.
        return _executable ??= ExecutableLocator.Find(_command);
    }

    /// <summary>The interpreter's process for <paramref name="run"/>, which reads its installed dependency set (a warm
    /// process gets each job's variables with the job, not in its environment).</summary>
    private protected static JobCommand Command(string executable, IReadOnlyList<string> arguments, JobDirectory directory, ScriptRun run) =>
        new(executable, arguments, directory) { ReadOnlyPaths = ReadOnlyPaths(run) };

    private static IReadOnlyList<string> ReadOnlyPaths(ScriptRun run) => run.DependencyDirectory is { } installed ? [installed] : [];

    /// <summary>The job's failure when the interpreter is missing.</summary>
    private protected ScriptOutcome RuntimeNotFound() =>
        ScriptOutcome.Failure(JobFailures.RuntimeNotFound(Language, _command, _configurationKey), new JsonObject(), "");

    /// <summary>Writes the job's files into <paramref name="directory"/> and says how to start the interpreter.</summary>
    private protected abstract JobLaunch Prepare(ScriptRun run, JobDirectory directory);

    /// <summary>Turns a process that ended on its own into an outcome.</summary>
    /// <param name="knownMainArgs">What main gets as far as is known before the job runs.</param>
    private protected abstract ScriptOutcome ReadOutcome(JobDirectory directory, JobProcessExit exit, JsonObject knownMainArgs);
}

/// <param name="Arguments">The interpreter's command-line arguments.</param>
/// <param name="KnownMainArgs">main's arguments as far as they are known before the job runs: empty when a
/// preprocessor will compute them.</param>
internal sealed record JobLaunch(IReadOnlyList<string> Arguments, JsonObject KnownMainArgs)
{
    /// <summary>Files in the job's directory that the outcome is read from after the process ended.</summary>
    public IReadOnlyList<string> ResultFiles { get; init; } = [];
}
