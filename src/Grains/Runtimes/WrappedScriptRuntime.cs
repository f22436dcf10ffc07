using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Triggers.Runtimes.Sandbox;

namespace Triggers.Runtimes;

/// <summary>
/// A language whose scripts are run by a small wrapper program (in the language's folder) that imports the script,
/// runs preprocessor and main, and reports through <see cref="WrapperProtocol"/>'s files, so that whatever the
/// script prints stays a log line.
/// </summary>
public abstract class WrappedScriptRuntime : ScriptProcessRuntime, IDisposable
{
    private static readonly ConcurrentDictionary<Type, string> WrapperSources = new();

    private readonly DedicatedWorkers _dedicated;

    private protected WrappedScriptRuntime(string command, string configurationKey, RuntimeOptions options, JobSandbox sandbox)
        : base(command, configurationKey, sandbox)
    {
        _dedicated = new DedicatedWorkers(StartDedicated, options);
    }

    /// <summary>A run with a <see cref="ScriptRun.DedicatedKey"/> goes to a warm process of its script version.</summary>
    public override Task<ScriptOutcome> RunAsync(ScriptRun run, CancellationToken ct)
    {
        if (run.DedicatedKey is null) return base.RunAsync(run, ct);
        if (FindExecutable(run) is null) return Task.FromResult(RuntimeNotFound());
        return _dedicated.RunAsync(run, KnownMainArgs(run), ct);
    }

    /// <summary>The user's script is saved under this name (its extension tells the interpreter the language).</summary>
    private protected abstract string ScriptFileName { get; }

    /// <summary>The wrapper's file name, both in the runtime's folder and in the job's directory.</summary>
    private protected abstract string WrapperFileName { get; }

    /// <summary>The interpreter's arguments to run <paramref name="wrapperPath"/>, which expects the script, input
    /// and result paths as its own arguments.</summary>
    private protected abstract IEnumerable<string> InterpreterArguments(string wrapperPath);

    /// <summary>Where the language looks for packages next to the script: the folder of an installed dependency set
    /// that the job's directory links under the same name.</summary>
    private protected abstract string DependencyFolder { get; }

    /// <summary>
    /// Links the run's installed dependency set (shared, never copied) into the job's directory, and writes the
    /// workspace scripts it imports at their workspace paths beside it.
    /// </summary>
    private void LinkDependencies(ScriptRun run, JobDirectory directory)
    {
        if (run.DependencyDirectory is { } installed)
            Directory.CreateSymbolicLink(directory.File(DependencyFolder), Path.Combine(installed, DependencyFolder));
        if (run.Modules is not { Count: > 0 } modules) return;
        foreach (var (path, content) in modules)
        {
            var file = directory.File(WorkspaceImports.FileOf(Language, path));
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            File.WriteAllText(file, content);
        }
        PrepareModuleResolution(directory);
    }

    /// <summary>Lets the script's imports of workspace paths find the files <see cref="LinkDependencies"/> wrote.</summary>
    private protected virtual void PrepareModuleResolution(JobDirectory directory) { }

    private protected sealed override JobLaunch Prepare(ScriptRun run, JobDirectory directory)
    {
        var scriptPath = directory.File(ScriptFileName);
        var wrapperPath = directory.File(WrapperFileName);
        var inputPath = directory.File(WrapperProtocol.InputFileName);
        File.WriteAllText(scriptPath, run.Content);
        File.WriteAllText(wrapperPath, WrapperSource());
        WrapperProtocol.WriteInput(inputPath, run);
        LinkDependencies(run, directory);

        return new JobLaunch(
            [.. InterpreterArguments(wrapperPath), scriptPath, inputPath, directory.File(WrapperProtocol.ResultFileName)],
            KnownMainArgs(run)) { ResultFiles = [WrapperProtocol.ResultFileName] };
    }

    private static JsonObject KnownMainArgs(ScriptRun run) =>
        run.RunsPreprocessor ? new JsonObject() : ArgumentBinder.Bind(run.Signature.MainParameters, run.Args);

    /// <summary>Starts the wrapper in serve mode, in a private directory that lives as long as the process.</summary>
    private WarmProcess StartDedicated(ScriptRun run, string marker)
    {
        var directory = Sandbox.CreateDirectory();
        try
        {
            var scriptPath = directory.File(ScriptFileName);
            var wrapperPath = directory.File(WrapperFileName);
            File.WriteAllText(scriptPath, run.Content);
            File.WriteAllText(wrapperPath, WrapperSource());
            LinkDependencies(run, directory);
            var arguments = new List<string>([.. InterpreterArguments(wrapperPath), scriptPath, "--serve", marker]);
            return WarmProcess.Start(Sandbox, Command(FindExecutable(run)!, arguments, directory, run), marker);
        }
        catch
        {
            directory.Dispose();
            throw;
        }
    }

    public void Dispose() => _dedicated.Dispose();

    private protected sealed override ScriptOutcome ReadOutcome(JobDirectory directory, JobProcessExit exit, JsonObject knownMainArgs)
    {
        // The wrapper writes its result as the job ends; without one, the exit code says more than a missing file.
        if (WrapperProtocol.ReadResult(directory.Path, exit.Logs, knownMainArgs) is { } outcome) return outcome;

        var error = exit.ExitCode != 0 ? JobFailures.ExitCode(exit) : JobFailures.MissingResult();
        return ScriptOutcome.Failure(error, knownMainArgs, exit.Logs);
    }

    // The wrapper is embedded from the runtime's folder, so its resource is named after the runtime's namespace.
    private string WrapperSource() => WrapperSources.GetOrAdd(GetType(), static (runtime, fileName) =>
    {
        using var stream = runtime.Assembly.GetManifestResourceStream(runtime, fileName)
            ?? throw new InvalidOperationException($"The embedded resource {runtime.Namespace}.{fileName} is missing from the build.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }, WrapperFileName);
}
