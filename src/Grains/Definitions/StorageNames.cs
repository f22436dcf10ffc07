namespace Triggers.Definitions;

public static class StorageNames
{
    /// <summary>The grain storage holding workspaces, resources, scripts and triggers.</summary>
    public const string Definitions = "definitions";
}
