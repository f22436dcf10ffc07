using Triggers.Validation;
using Triggers.Workspaces;

namespace Triggers.Api.Extensions;

internal static class WorkspaceItems
{
    /// <summary>Every item of one kind in a workspace, read from its grain (key <c>{workspace}/{path}</c>).</summary>
    public static async Task<IEnumerable<T>> ListAsync<TGrain, T>(IGrainFactory grains, string workspace, string kind, Func<TGrain, Task<T?>> get)
        where TGrain : IGrainWithStringKey
        where T : class
    {
        var paths = await grains.GetGrain<IWorkspaceIndexGrain>(workspace).ListAsync(kind);
        var items = await Task.WhenAll(paths.Select(path => get(grains.GetGrain<TGrain>(Names.ItemKey(workspace, path)))));
        return items.OfType<T>();
    }
}
