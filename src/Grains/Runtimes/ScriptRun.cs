using System.Text.Json.Nodes;
using Triggers.Scripts;

namespace Triggers.Runtimes;

/// <summary>One execution of a script.</summary>
/// <param name="Signature">Read from <paramref name="Content"/> by <see cref="ScriptAnalyzer"/>; arguments are bound
/// to <see cref="ScriptSignature.MainParameters"/> by name.</param>
/// <param name="Args">main's arguments when no preprocessor runs. Missing ones are left to the parameter's default,
/// extra ones are ignored.</param>
/// <param name="Event">The trigger's event. When present and the script has a preprocessor, <c>preprocessor(Event)</c>
/// runs first and the object it returns replaces <paramref name="Args"/>.</param>
/// <param name="Timeout">Wall-clock limit for the whole process, interpreter start-up included
/// (<see cref="System.Threading.Timeout.InfiniteTimeSpan"/> for none).</param>
/// <param name="DedicatedKey">Set for a script marked <c>dedicated_worker</c>: the script version whose warm process
/// runs it (<see cref="DedicatedWorkers.Key"/>). Null runs a process for this job alone.</param>
/// <param name="Lock">The script's resolved dependency set (<see cref="Script.Lock"/>), installed before it runs.</param>
public sealed record ScriptRun(
    ScriptLanguage Language,
    string Content,
    ScriptSignature Signature,
    JsonObject Args,
    JsonObject? Event,
    TimeSpan Timeout,
    string? DedicatedKey = null,
    string? Lock = null)
{
    /// <summary>The workspace scripts it imports (<see cref="WorkspaceImports"/>), by path, at the versions to run.</summary>
    public IReadOnlyDictionary<string, string>? Modules { get; init; }

    /// <summary>Where <see cref="Lock"/> is installed; set by <see cref="ScriptRunner"/>.</summary>
    public string? DependencyDirectory { get; init; }

    /// <summary>Windmill's contextual variables of the job (<c>WM_WORKSPACE</c>, <c>WM_JOB_ID</c>, ...; see
    /// <see cref="Jobs.Execution.JobVariables"/>), in the job's environment.</summary>
    public IReadOnlyDictionary<string, string>? Variables { get; init; }

    /// <summary>A dry run: the preprocessor runs, and the arguments it gives main are the result; main does not run.</summary>
    public bool PreprocessOnly { get; init; }

    public bool RunsPreprocessor => Event is not null && Signature.HasPreprocessor;
}
