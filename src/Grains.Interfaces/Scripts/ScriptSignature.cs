namespace Triggers.Scripts;

/// <summary>
/// What the runtime needs to know about a script before running it: the names of <c>main</c>'s parameters
/// (in declaration order, so arguments can be bound by name or, for bash, by position) and whether the script
/// exports a <c>preprocessor</c> that turns a trigger event into those arguments. <c>PreprocessorOnly</c>: it exports a
/// preprocessor and no main (a flow's preprocessor module, whose result is the flow's input).
/// </summary>
[GenerateSerializer, Alias("Triggers.ScriptSignature"), Immutable]
public sealed record ScriptSignature(
    [property: Id(0)] IReadOnlyList<string> MainParameters,
    [property: Id(1)] bool HasPreprocessor,
    [property: Id(2)] bool PreprocessorOnly = false);
