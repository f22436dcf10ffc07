using Triggers.Scripts;

namespace Triggers.Runtimes;

/// <summary>Runs scripts of one language as isolated child processes.</summary>
public interface ILanguageRuntime
{
    ScriptLanguage Language { get; }

    /// <summary>Runs the script to completion. Failures of the script (exceptions, exit codes, the time limit) are
    /// reported in the outcome; cancelling <paramref name="ct"/> kills the job and throws
    /// <see cref="OperationCanceledException"/>.</summary>
    Task<ScriptOutcome> RunAsync(ScriptRun run, CancellationToken ct);
}
