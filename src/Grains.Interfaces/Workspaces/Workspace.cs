using System.Text.Json;

namespace Triggers.Workspaces;

[GenerateSerializer, Alias("Triggers.Workspace")]
public sealed record Workspace
{
    [Id(0)] public string Id { get; init; } = "";
    [Id(1)] public string Name { get; init; } = "";
    [Id(2)] public DateTimeOffset CreatedAt { get; init; }
    /// <summary><c>script/{path}</c> or <c>flow/{path}</c>: runs when a job of this workspace finally fails.</summary>
    [Id(3)] public string? ErrorHandler { get; init; }
    [Id(4)] public JsonElement? ErrorHandlerExtraArgs { get; init; }
}

/// <summary>One workspace's settings.</summary>
[Alias("Triggers.IWorkspaceGrain")]
public interface IWorkspaceGrain : IGrainWithStringKey
{
    /// <summary>Creates the workspace; throws <see cref="Validation.ConflictException"/> when it exists.</summary>
    Task<Workspace> CreateAsync(string name);
    Task<Workspace?> GetAsync();
    Task<Workspace> SetErrorHandlerAsync(string? errorHandler, JsonElement? extraArgs);
}

/// <summary>The list of all workspaces (a single grain, key 0): workspaces are few and rarely created.</summary>
[Alias("Triggers.IWorkspaceDirectoryGrain")]
public interface IWorkspaceDirectoryGrain : IGrainWithIntegerKey
{
    Task AddAsync(string workspaceId);
    Task<IReadOnlyList<string>> ListAsync();
}

/// <summary>The kinds of item a workspace lists; every trigger kind adds its own through <see cref="Trigger"/>.</summary>
public static class ItemKinds
{
    public const string Resource = "resource";
    public const string Script = "script";
    public const string Flow = "flow";

    /// <summary>The item kind of the triggers of one kind, e.g. <c>kafka_trigger</c>.</summary>
    public static string Trigger(string triggerKind) => $"{triggerKind}_trigger";
}

/// <summary>The paths of a workspace's items of every kind, for listing and for resuming triggers at startup.</summary>
[Alias("Triggers.IWorkspaceIndexGrain")]
public interface IWorkspaceIndexGrain : IGrainWithStringKey
{
    Task AddAsync(string kind, string path);
    Task RemoveAsync(string kind, string path);
    Task<IReadOnlyList<string>> ListAsync(string kind);
}
