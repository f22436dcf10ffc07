using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Triggers.Api.Extensions;
using Triggers.Resources;
using Triggers.Triggers;
using Triggers.Triggers.Kafka;
using Triggers.Validation;
using Triggers.Workspaces;

namespace Triggers.Api.Resources;

public sealed record ResourceRequest(string? Path, string? ResourceType, JsonElement Value, string? Description)
{
    public Resource ToResource() => new() { Path = Path ?? "", ResourceType = ResourceType ?? "", Value = Value, Description = Description };
}

public static class ResourcesApi
{
    public static RouteGroupBuilder MapResourcesApi(this RouteGroupBuilder workspace)
    {
        var group = workspace.MapGroup("/resources");
        group.MapPost("/create", async (string workspace, ResourceRequest request, IGrainFactory grains) =>
        {
            Names.RequirePath(request.Path);
            await Grain(grains, workspace, request.Path!).CreateAsync(request.ToResource());
            return Results.Text(request.Path, statusCode: StatusCodes.Status201Created);
        });
        group.MapPost("/update/{*path}", async (string workspace, string path, ResourceRequest request, IGrainFactory grains) =>
        {
            var updated = await Grain(grains, workspace, path).UpdateAsync(request.ToResource());
            if (updated.ResourceType == KafkaConnection.ResourceType) await ReconnectTriggersAsync(grains, workspace, path);
            return Results.Text(path);
        });
        group.MapGet("/get/{*path}", async (string workspace, string path, IGrainFactory grains) =>
            await Grain(grains, workspace, path).GetAsync() is { } resource
                ? Results.Ok(Redacted(resource))
                : NotFound(path));
        group.MapDelete("/delete/{*path}", async (string workspace, string path, IGrainFactory grains) =>
        {
            await Grain(grains, workspace, path).DeleteAsync();
            return Results.Text(path);
        });
        group.MapGet("/list", async (string workspace, IGrainFactory grains) =>
            (await WorkspaceItems.ListAsync<IResourceGrain, Resource>(grains, workspace, ItemKinds.Resource, g => g.GetAsync())).Select(Redacted));
        return workspace;
    }

    /// <summary>The Kafka triggers that use the resource at <paramref name="path"/> connect again with what it says now, so a
    /// rotated password or a moved broker takes effect without touching each trigger.</summary>
    private static async Task ReconnectTriggersAsync(IGrainFactory grains, string workspace, string path)
    {
        var triggers = await WorkspaceItems.ListAsync<IKafkaTriggerGrain, TriggerView<KafkaTrigger, KafkaTriggerStatus>>(
            grains, workspace, ItemKinds.Trigger(KafkaTrigger.Kind), g => g.GetAsync());
        await Task.WhenAll(triggers.Where(t => t.Trigger.KafkaResourcePath == path)
            .Select(t => grains.GetGrain<IKafkaTriggerGrain>(Names.ItemKey(workspace, t.Trigger.Path)).ReconnectAsync()));
    }

    /// <summary>
    /// <c>POST /api/secrets/reseal</c>: every resource of every workspace encrypts its secrets again with the current
    /// <c>Secrets:Key</c>. The second step of a key rotation, once every silo has the new key and the old one in
    /// <c>Secrets:PreviousKeys</c>; afterwards the old key can be dropped. A resource no configured key opens is listed in
    /// <c>failed</c> (409) after all the others are done: save it again with its secret.
    /// </summary>
    public static RouteGroupBuilder MapSecretsApi(this RouteGroupBuilder api)
    {
        api.MapPost("/secrets/reseal", async (IGrainFactory grains) =>
        {
            var resealed = 0;
            var failed = new List<object>();
            foreach (var workspace in await grains.GetGrain<IWorkspaceDirectoryGrain>(0).ListAsync())
                foreach (var path in await grains.GetGrain<IWorkspaceIndexGrain>(workspace).ListAsync(ItemKinds.Resource))
                {
                    // One resource whose secret no key opens must not keep the others on the old key.
                    try { if (await grains.GetGrain<IResourceGrain>(Names.ItemKey(workspace, path)).ResealAsync()) resealed++; }
                    catch (InvalidOperationException e) { failed.Add(new { workspace, path, error = e.Message }); }
                }
            return failed.Count == 0
                ? Results.Ok(new { resealed, failed })
                : Results.Json(new { resealed, failed }, statusCode: StatusCodes.Status409Conflict);
        });
        return api;
    }

    private static IResourceGrain Grain(IGrainFactory grains, string workspace, string path) => WorkspaceItems.Grain<IResourceGrain>(grains, workspace, path);

    /// <summary>Secrets never leave the server: they show as set, not as their value.</summary>
    private static Resource Redacted(Resource resource) =>
        resource.ResourceType == KafkaConnection.ResourceType ? resource with { Value = KafkaConnection.Redact(resource.Value) } : resource;

    private static IResult NotFound(string path) =>
        Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: $"No resource at '{path}'.");
}
