using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Triggers.Api.Extensions;
using Triggers.Triggers;
using Triggers.Validation;
using Triggers.Workspaces;

namespace Triggers.Api.Triggers;

public sealed record SetModeRequest(TriggerMode? Mode);

/// <summary>The routes every trigger kind shares (create, update, delete, get, exists, list, setmode), mapped once for all kinds.</summary>
public static class TriggersApi
{
    /// <summary>Maps <c>/{routes}/…</c> for the kind <paramref name="kind"/>; returns the group, for the kind's own routes.</summary>
    public static RouteGroupBuilder MapTriggerApi<TTrigger, TStatus, TGrain>(this RouteGroupBuilder workspace, string routes, string kind)
        where TTrigger : ITriggerSettings
        where TStatus : ITriggerStatus
        where TGrain : ITriggerGrain<TTrigger, TStatus>
    {
        var group = workspace.MapGroup($"/{routes}");
        var displayName = routes.TrimEnd('s').Replace('_', ' ');
        group.MapPost("/create", async (string workspace, TTrigger trigger, IGrainFactory grains) =>
        {
            Names.RequirePath(trigger.Path);
            await Grain<TGrain>(grains, workspace, trigger.Path).CreateAsync(trigger);
            return Results.Text(trigger.Path, statusCode: StatusCodes.Status201Created);
        });
        group.MapPost("/update/{*path}", async (string workspace, string path, TTrigger trigger, IGrainFactory grains) =>
        {
            await Grain<TGrain>(grains, workspace, path).UpdateAsync(trigger); // the grain keeps its own path
            return Results.Text(path);
        });
        group.MapDelete("/delete/{*path}", async (string workspace, string path, IGrainFactory grains) =>
        {
            await Grain<TGrain>(grains, workspace, path).DeleteAsync();
            return Results.Text(path);
        });
        group.MapGet("/get/{*path}", async (string workspace, string path, IGrainFactory grains) =>
            await Grain<TGrain>(grains, workspace, path).GetAsync() is { } view
                ? Results.Json(Flatten(view), ApiJson.Options)
                : Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: $"No {displayName} at '{path}'."));
        group.MapGet("/exists/{*path}", async (string workspace, string path, IGrainFactory grains) =>
            await Grain<TGrain>(grains, workspace, path).GetAsync() is not null);
        group.MapGet("/list", async (string workspace, IGrainFactory grains) =>
            Results.Json((await WorkspaceItems.ListAsync<TGrain, TriggerView<TTrigger, TStatus>>(grains, workspace, ItemKinds.Trigger(kind), g => g.GetAsync()))
                .Select(Flatten), ApiJson.Options));
        group.MapPost("/setmode/{*path}", async (string workspace, string path, SetModeRequest request, IGrainFactory grains) =>
        {
            if (request.Mode is not { } mode)
                throw new InvalidInputException("mode", "mode is required: \"enabled\", \"disabled\" or \"suspended\".");
            await Grain<TGrain>(grains, workspace, path).SetModeAsync(mode);
            return Results.Text(path);
        });
        return group;
    }

    public static TGrain Grain<TGrain>(IGrainFactory grains, string workspace, string path) where TGrain : IGrainWithStringKey =>
        WorkspaceItems.Grain<TGrain>(grains, workspace, path);

    /// <summary>The trigger's fields with the read-only ones beside them, as the reference product shows them.</summary>
    public static JsonObject Flatten<TTrigger, TStatus>(TriggerView<TTrigger, TStatus> view)
        where TTrigger : ITriggerSettings
        where TStatus : ITriggerStatus
    {
        var json = ApiJson.ToObject(view.Trigger);
        json["server_id"] = view.ServerId;
        json["last_server_ping"] = view.LastServerPing;
        json["error"] = view.Status.Error;
        json["status"] = ApiJson.ToObject(view.Status);
        return json;
    }
}
