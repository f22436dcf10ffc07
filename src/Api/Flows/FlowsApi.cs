using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Triggers.Api.Extensions;
using Triggers.Flows;
using Triggers.Scripts;
using Triggers.Validation;
using Triggers.Workspaces;

namespace Triggers.Api.Flows;

public sealed record FlowRequest(string? Path, string? Summary, FlowValue? Value, string? DeploymentMessage)
{
    public Flow ToFlow() => new()
    {
        Path = Path ?? "",
        Summary = Summary,
        DeploymentMessage = DeploymentMessage,
        Value = Value ?? throw new InvalidInputException("value", "A flow needs a value: {\"modules\": [{\"id\": \"a\", \"value\": {\"type\": \"script\", \"path\": \"u/me/step\"}}]}."),
    };
}

public static class FlowsApi
{
    public static RouteGroupBuilder MapFlowsApi(this RouteGroupBuilder workspace)
    {
        var group = workspace.MapGroup("/flows");
        group.MapPost("/create", async (string workspace, FlowRequest request, IGrainFactory grains) =>
        {
            Names.RequirePath(request.Path);
            await Grain(grains, workspace, request.Path!).CreateAsync(request.ToFlow());
            return Results.Text(request.Path, statusCode: StatusCodes.Status201Created);
        });
        group.MapPost("/update/{*path}", async (string workspace, string path, FlowRequest request, IGrainFactory grains) =>
        {
            await Grain(grains, workspace, path).UpdateAsync(request.ToFlow());
            return Results.Text(path);
        });
        group.MapGet("/get/{*path}", async (string workspace, string path, IGrainFactory grains) =>
            await Grain(grains, workspace, path).GetAsync() is { } flow
                ? Results.Ok(flow)
                : Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: $"No flow at '{path}'."));
        // Windmill's flow versions: one by id, and the history of a path, newest first.
        group.MapGet("/get/v/{version:long}/p/{*path}", async (string workspace, long version, string path, IGrainFactory grains) =>
            await grains.GetGrain<IVersionGrain<Flow>>(VersionKeys.Flow(workspace, version, path)).GetAsync() is { } flow
                ? Results.Ok(flow)
                : Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: $"No version {version} of flow '{path}'."));
        group.MapGet("/history/p/{*path}", async (string workspace, string path, IGrainFactory grains) =>
        {
            var latest = await Grain(grains, workspace, path).GetAsync() ?? throw new NotFoundException($"No flow at '{path}' in workspace '{workspace}'.");
            var history = new List<object>();
            foreach (var id in latest.PreviousVersions.Prepend(latest.VersionId).Where(v => v > 0))
            {
                var version = await grains.GetGrain<IVersionGrain<Flow>>(VersionKeys.Flow(workspace, id, path)).GetAsync();
                history.Add(new { id, created_at = version?.UpdatedAt, deployment_msg = version?.DeploymentMessage });
            }
            return Results.Json(history, ApiJson.Options);
        });
        group.MapDelete("/delete/{*path}", async (string workspace, string path, IGrainFactory grains) =>
        {
            await Grain(grains, workspace, path).DeleteAsync();
            return Results.Text(path);
        });
        group.MapGet("/list", async (string workspace, IGrainFactory grains) =>
            (await WorkspaceItems.ListAsync<IFlowGrain, Flow>(grains, workspace, ItemKinds.Flow, g => g.GetAsync()))
                .Select(f => new { f.Path, f.Summary, f.CreatedAt, f.UpdatedAt, f.VersionId }));
        return workspace;
    }

    private static IFlowGrain Grain(IGrainFactory grains, string workspace, string path) => WorkspaceItems.Grain<IFlowGrain>(grains, workspace, path);
}
