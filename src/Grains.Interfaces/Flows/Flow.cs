using System.Text.Json;
using Triggers.Scripts;

namespace Triggers.Flows;

/// <summary>A sequence of steps, each a stored or inline script, whose inputs are computed from earlier results.</summary>
[GenerateSerializer, Alias("Triggers.Flow")]
public sealed record Flow
{
    [Id(0)] public string Path { get; init; } = "";
    [Id(1)] public string? Summary { get; init; }
    [Id(2)] public FlowValue Value { get; init; } = new();
    [Id(3)] public DateTimeOffset CreatedAt { get; init; }
    [Id(4)] public DateTimeOffset UpdatedAt { get; init; }
    /// <summary>This version's id (Windmill's flow <c>version</c>), new at every create and update.</summary>
    [Id(5)] public long VersionId { get; init; }
    /// <summary>The versions before this one, newest first.</summary>
    [Id(6)] public IReadOnlyList<long> PreviousVersions { get; init; } = [];
    /// <summary>What the author said about this version (Windmill's <c>deployment_message</c>).</summary>
    [Id(7)] public string? DeploymentMessage { get; init; }
}

[GenerateSerializer, Alias("Triggers.FlowValue")]
public sealed record FlowValue
{
    [Id(0)] public IReadOnlyList<FlowModule> Modules { get; init; } = [];
    /// <summary>Runs first for a triggered flow: its main gets <c>event</c> and returns the flow's inputs.</summary>
    [Id(1)] public FlowModule? PreprocessorModule { get; init; }
    /// <summary>Runs when a step fails: its main gets <c>error</c> (and <c>flow_input</c>).</summary>
    [Id(2)] public FlowModule? FailureModule { get; init; }
}

[GenerateSerializer, Alias("Triggers.FlowModule")]
public sealed record FlowModule
{
    /// <summary>Names the step's result for later steps: <c>results.{id}</c>.</summary>
    [Id(0)] public string Id { get; init; } = "";
    [Id(1)] public ModuleValue Value { get; init; } = new();
}

/// <summary>What a step runs: a stored script (<c>type: "script"</c>, <c>path</c>) or an inline one
/// (<c>type: "rawscript"</c>, <c>language</c>, <c>content</c>), and how its arguments are computed.</summary>
[GenerateSerializer, Alias("Triggers.ModuleValue")]
public sealed record ModuleValue
{
    public const string Script = "script";
    public const string RawScript = "rawscript";

    [Id(0)] public string Type { get; init; } = "";
    [Id(1)] public string? Path { get; init; }
    [Id(2)] public ScriptLanguage? Language { get; init; }
    [Id(3)] public string? Content { get; init; }
    [Id(4)] public Dictionary<string, InputTransform>? InputTransforms { get; init; }
}

/// <summary>One argument of a step: a <c>static</c> value, or a <c>javascript</c> expression over
/// <c>flow_input</c>, <c>results</c> and <c>previous_result</c>.</summary>
[GenerateSerializer, Alias("Triggers.InputTransform")]
public sealed record InputTransform
{
    public const string Static = "static";
    public const string JavaScript = "javascript";

    [Id(0)] public string Type { get; init; } = "";
    [Id(1)] public JsonElement? Value { get; init; }
    [Id(2)] public string? Expr { get; init; }
}

[Alias("Triggers.IFlowGrain")]
public interface IFlowGrain : IGrainWithStringKey
{
    Task<Flow> CreateAsync(Flow flow);
    Task<Flow> UpdateAsync(Flow flow);
    Task<Flow?> GetAsync();
    Task DeleteAsync();
}
