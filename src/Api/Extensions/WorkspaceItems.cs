using Triggers.Validation;
using Triggers.Workspaces;

namespace Triggers.Api.Extensions;

public static class WorkspaceItems
{
    /// <summary>The grain of the item at <paramref name="path"/> (from the route), once the path is checked: a path
    /// that cannot exist is a 400 rather than a lookup.</summary>
    public static TGrain Grain<TGrain>(IGrainFactory grains, string workspace, string path) where TGrain : IGrainWithStringKey
    {
        Names.RequirePath(path);
        return grains.GetGrain<TGrain>(Names.ItemKey(workspace, path));
    }

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
