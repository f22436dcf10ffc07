using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Triggers.Api.Extensions;
using Triggers.KafkaTriggers;
using Triggers.Resources;
using Triggers.Validation;
using Triggers.Workspaces;

namespace Triggers.Api.KafkaTriggers;

public sealed record SetModeRequest(TriggerMode? Mode);

public sealed record ResetOffsetsRequest(AutoOffsetReset? Offset);

public sealed record TestConnectionRequest(JsonElement? Connection);

public static class KafkaTriggersApi
{
    public static RouteGroupBuilder MapKafkaTriggersApi(this RouteGroupBuilder workspace)
    {
        var group = workspace.MapGroup("/kafka_triggers");
        group.MapPost("/create", async (string workspace, KafkaTrigger trigger, IGrainFactory grains) =>
        {
            Names.RequirePath(trigger.Path);
            await Grain(grains, workspace, trigger.Path).CreateAsync(trigger);
            return Results.Text(trigger.Path, statusCode: StatusCodes.Status201Created);
        });
        group.MapPost("/update/{*path}", async (string workspace, string path, KafkaTrigger trigger, IGrainFactory grains) =>
        {
            Names.RequirePath(path);
            await Grain(grains, workspace, path).UpdateAsync(trigger with { Path = path });
            return Results.Text(path);
        });
        group.MapDelete("/delete/{*path}", async (string workspace, string path, IGrainFactory grains) =>
        {
            await Grain(grains, workspace, path).DeleteAsync();
            return Results.Text(path);
        });
        group.MapGet("/get/{*path}", async (string workspace, string path, IGrainFactory grains) =>
            await Grain(grains, workspace, path).GetAsync() is { } view
                ? Results.Json(Flatten(view), ApiJson.Options)
                : Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: $"No kafka trigger at '{path}'."));
        group.MapGet("/exists/{*path}", async (string workspace, string path, IGrainFactory grains) =>
            await Grain(grains, workspace, path).GetAsync() is not null);
        group.MapGet("/list", async (string workspace, IGrainFactory grains) =>
            Results.Json((await WorkspaceItems.ListAsync<IKafkaTriggerGrain, KafkaTriggerView>(grains, workspace, ItemKind.KafkaTrigger, g => g.GetAsync()))
                .Select(Flatten), ApiJson.Options));
        group.MapPost("/setmode/{*path}", async (string workspace, string path, SetModeRequest request, IGrainFactory grains) =>
        {
            if (request.Mode is not { } mode)
                throw new InvalidInputException("mode", "mode is required: \"enabled\", \"disabled\" or \"suspended\".");
            await Grain(grains, workspace, path).SetModeAsync(mode);
            return Results.Text(path);
        });
        group.MapPost("/test", async (string workspace, TestConnectionRequest request, IGrainFactory grains) =>
        {
            // {connection: {kafka_resource_path}} tests a stored resource; {connection: {brokers, security}} an inline one.
            var connection = request.Connection is { ValueKind: JsonValueKind.Object } c ? c
                : throw new InvalidInputException("connection", "Give {\"connection\": {\"kafka_resource_path\": \"u/me/kafka\"}} or {\"connection\": {\"brokers\": [...], \"security\": {...}}}.");
            var result = connection.TryGetProperty("kafka_resource_path", out var path)
                ? await grains.GetGrain<IKafkaConnectionTesterGrain>(0).TestAsync(workspace, path.GetString(), null)
                : await grains.GetGrain<IKafkaConnectionTesterGrain>(0).TestAsync(workspace, null, connection);
            return Results.Json(result, ApiJson.Options);
        });
        group.MapPost("/reset_offsets/{*path}", async (string workspace, string path, HttpRequest http, IGrainFactory grains) =>
        {
            // The body is optional: without it the group goes back to the trigger's auto_offset_reset.
            var request = http.ContentLength > 0 ? await http.ReadFromJsonAsync<ResetOffsetsRequest>(ApiJson.Options) : null;
            var view = await Grain(grains, workspace, path).ResetOffsetsAsync(request?.Offset);
            return Results.Json(Flatten(view), ApiJson.Options);
        });
        return workspace;
    }

    private static IKafkaTriggerGrain Grain(IGrainFactory grains, string workspace, string path) =>
        grains.GetGrain<IKafkaTriggerGrain>(Names.ItemKey(workspace, path));

    /// <summary>The trigger's fields with the read-only ones beside them, as the reference product shows them.</summary>
    private static JsonObject Flatten(KafkaTriggerView view)
    {
        var json = ApiJson.ToObject(view.Trigger);
        json["server_id"] = view.ServerId;
        json["last_server_ping"] = view.LastServerPing;
        json["error"] = view.Status.Error;
        json["status"] = ApiJson.ToObject(view.Status);
        return json;
    }
}
