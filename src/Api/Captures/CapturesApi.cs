using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Triggers.Api.Extensions;
using Triggers.Captures;
using Triggers.Validation;

namespace Triggers.Api.Captures;

public sealed record SetCaptureConfigRequest(string? TriggerKind, string? Path, bool? IsFlow, JsonElement? TriggerConfig);

/// <summary>
/// <c>/capture</c>, as Windmill has it: an editor configures a capture for a script or flow, pings it while open (it
/// listens only within 10 s of a ping), and reads the real payloads it caught to build and test a preprocessor.
/// </summary>
public static class CapturesApi
{
    private const int DefaultPerPage = 30;
    private const int MaxPerPage = 100;
    // Windmill lists a payload this large as a marker, and gives it whole only through get.
    private const int MaxListedBytes = 40_000;
    private const string TooBig = "WINDMILL_TOO_BIG";

    public static RouteGroupBuilder MapCapturesApi(this RouteGroupBuilder workspace)
    {
        var group = workspace.MapGroup("/capture");
        group.MapPost("/set_config", async (string workspace, SetCaptureConfigRequest request, IGrainFactory grains) =>
        {
            if (request.TriggerKind is not { } kind) throw new InvalidInputException("trigger_kind", "trigger_kind is required, e.g. \"kafka\".");
            if (request.IsFlow is not { } isFlow) throw new InvalidInputException("is_flow", "is_flow is required: true for a flow, false for a script.");
            Names.RequirePath(request.Path);
            var config = await Grain(grains, workspace).SetConfigAsync(kind, request.Path!, isFlow, request.TriggerConfig);
            return Results.Json(config, ApiJson.Options);
        });
        group.MapPost("/ping_config/{trigger_kind}/{runnable_kind}/{*path}", async (string workspace, string trigger_kind, string runnable_kind, string path, IGrainFactory grains) =>
        {
            await Grain(grains, workspace).PingAsync(trigger_kind, path, IsFlow(runnable_kind));
            return Results.Ok();
        });
        group.MapGet("/get_configs/{runnable_kind}/{*path}", async (string workspace, string runnable_kind, string path, IGrainFactory grains) =>
            Results.Json(await Grain(grains, workspace).GetConfigsAsync(path, IsFlow(runnable_kind)), ApiJson.Options));
        group.MapGet("/list/{runnable_kind}/{*path}", async (string workspace, string runnable_kind, string path, string? trigger_kind, int? page, int? per_page, IGrainFactory grains) =>
        {
            var perPage = Math.Clamp(per_page ?? DefaultPerPage, 1, MaxPerPage);
            var captures = (await Grain(grains, workspace).ListAsync(path, IsFlow(runnable_kind), trigger_kind))
                .Skip((Math.Max(page ?? 1, 1) - 1) * perPage).Take(perPage)
                .Select(c => c with { MainArgs = Listed(c.MainArgs), PreprocessorArgs = Listed(c.PreprocessorArgs) });
            return Results.Json(captures, ApiJson.Options);
        });
        group.MapGet("/{id:long}", async (string workspace, long id, IGrainFactory grains) =>
            await Grain(grains, workspace).GetAsync(id) is { } capture
                ? Results.Json(capture, ApiJson.Options)
                : Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: $"No capture {id} in workspace '{workspace}'."));
        group.MapDelete("/{id:long}", async (string workspace, long id, IGrainFactory grains) =>
        {
            await Grain(grains, workspace).DeleteAsync(id);
            return Results.Ok();
        });
        return workspace;
    }

    private static ICaptureGrain Grain(IGrainFactory grains, string workspace) => grains.GetGrain<ICaptureGrain>(workspace);

    private static bool IsFlow(string runnableKind) => runnableKind switch
    {
        "script" => false,
        "flow" => true,
        _ => throw new InvalidInputException("runnable_kind", $"runnable_kind is \"script\" or \"flow\", not \"{runnableKind}\"."),
    };

    private static JsonElement Listed(JsonElement args) =>
        args.GetRawText().Length >= MaxListedBytes ? JsonSerializer.SerializeToElement(TooBig) : args;
}
