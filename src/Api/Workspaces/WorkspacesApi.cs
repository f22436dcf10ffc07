using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Triggers.Api.Auth;
using Triggers.Tokens;
using Triggers.Validation;
using Triggers.Workspaces;

namespace Triggers.Api.Workspaces;

public sealed record CreateWorkspaceRequest(string? Id, string? Name);

public sealed record EditErrorHandlerRequest(string? ErrorHandler, JsonElement? ErrorHandlerExtraArgs);

public static class WorkspacesApi
{
    public static RouteGroupBuilder MapWorkspacesApi(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/workspaces");
        group.MapPost("/create", async (CreateWorkspaceRequest request, IGrainFactory grains) =>
        {
            Names.RequireWorkspaceId(request.Id);
            var workspace = await grains.GetGrain<IWorkspaceGrain>(request.Id!).CreateAsync(request.Name ?? request.Id!);
            return Results.Text(workspace.Id, statusCode: StatusCodes.Status201Created);
        });
        group.MapGet("/list", async (HttpContext http, IGrainFactory grains) =>
        {
            var ids = await grains.GetGrain<IWorkspaceDirectoryGrain>(0).ListAsync();
            if (ApiAccess.TokenOf(http) is { Workspaces: { } allowed }) ids = [.. ids.Where(id => allowed.Contains(id, StringComparer.Ordinal))];
            var workspaces = await Task.WhenAll(ids.Select(id => grains.GetGrain<IWorkspaceGrain>(id).GetAsync()));
            return workspaces.OfType<Workspace>().Select(w => new { w.Id, w.Name });
        });
        return api;
    }

    public static RouteGroupBuilder MapWorkspaceSettingsApi(this RouteGroupBuilder workspace)
    {
        workspace.MapPost("/workspaces/edit_error_handler", async (string workspace, EditErrorHandlerRequest request, IGrainFactory grains) =>
        {
            await grains.GetGrain<IWorkspaceGrain>(workspace).SetErrorHandlerAsync(
                string.IsNullOrEmpty(request.ErrorHandler) ? null : request.ErrorHandler, request.ErrorHandlerExtraArgs);
            return Results.Ok();
        }).WithMetadata(new RequiresRole(TokenRole.Admin)); // the handler runs with every failed job's details, of every trigger

        return workspace;
    }
}

/// <summary>Answers 404 for any route under a workspace that does not exist.</summary>
public sealed class WorkspaceExistsFilter(IGrainFactory grains) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var id = context.HttpContext.GetRouteValue("workspace") as string ?? "";
        if (await grains.GetGrain<IWorkspaceGrain>(id).GetAsync() is null)
            return Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found",
                detail: $"Workspace '{id}' does not exist; create it with POST /api/workspaces/create.");
        return await next(context);
    }
}
