using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.ModelBinding;
using Microsoft.AspNetCore.Routing;
using Triggers.Api.Extensions;
using Triggers.Triggers;
using Triggers.Validation;
using Triggers.Workspaces;

namespace Triggers.Api.Triggers;

public sealed record SetModeRequest(TriggerMode? Mode);

public sealed record TestFiltersRequest(IReadOnlyList<TriggerFilter>? Filters, FilterLogic? FilterLogic, IReadOnlyList<JsonElement>? Messages);

/// <param name="Status">Which jobs: only <c>failure</c> (the default) can run again.</param>
/// <param name="Since">Only jobs that failed at or after this time.</param>
public sealed record RedriveRequest(IReadOnlyList<Guid>? JobIds, string? Status, DateTimeOffset? Since);

/// <param name="JobIds">Which held jobs; all of the trigger's when absent.</param>
public sealed record HeldJobsRequest(IReadOnlyList<Guid>? JobIds);

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
        group.MapPost("/create", async (string workspace, JsonObject? body, IGrainFactory grains) =>
        {
            var (trigger, _) = ReadTrigger<TTrigger>(body);
            Names.RequirePath(trigger.Path);
            await Grain<TGrain>(grains, workspace, trigger.Path).CreateAsync(trigger);
            return Results.Text(trigger.Path, statusCode: StatusCodes.Status201Created);
        });
        group.MapPost("/update/{*path}", async (string workspace, string path, JsonObject? body, IGrainFactory grains) =>
        {
            var (trigger, modeGiven) = ReadTrigger<TTrigger>(body);
            // As in Windmill, a path in the body other than the URL's renames the trigger; without one it stays where it is.
            if (!string.IsNullOrEmpty(trigger.Path) && trigger.Path != path)
            {
                await Grain<TGrain>(grains, workspace, path).RenameAsync(trigger, keepMode: !modeGiven);
                return Results.Text($"Trigger '{trigger.Path}' updated");
            }
            await Grain<TGrain>(grains, workspace, path).UpdateAsync(trigger, keepMode: !modeGiven);
            return Results.Text($"Trigger '{path}' updated");
        });
        group.MapDelete("/delete/{*path}", async (string workspace, string path, IGrainFactory grains) =>
        {
            await Grain<TGrain>(grains, workspace, path).DeleteAsync();
            return Results.Text($"Trigger '{path}' deleted");
        });
        group.MapGet("/get/{*path}", async (string workspace, string path, IGrainFactory grains) =>
            await Grain<TGrain>(grains, workspace, path).GetAsync() is { } view
                ? Results.Json(Flatten(view), ApiJson.Options)
                : Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: $"No {displayName} at '{path}'."));
        group.MapGet("/exists/{*path}", async (string workspace, string path, IGrainFactory grains) =>
            await Grain<TGrain>(grains, workspace, path).GetAsync() is not null);
        // Windmill's query: page (from 1) and per_page (default 100) clamped rather than refused, path (the runnable's),
        // is_flow, path_start and label (comma-separated, all of them); newest edit first.
        group.MapGet("/list", async (string workspace, int? page, int? per_page, string? path, bool? is_flow, string? path_start, string? label,
            IGrainFactory grains) =>
        {
            var labels = label?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries) ?? [];
            var perPage = Math.Clamp(per_page ?? DefaultPerPage, 1, MaxPerPage);
            var views = await WorkspaceItems.ListAsync<TGrain, TriggerView<TTrigger, TStatus>>(grains, workspace, ItemKinds.Trigger(kind), g => g.GetAsync());
            var listed = views
                .Where(v => (path is null || v.Trigger.ScriptPath == path) && (is_flow is null || v.Trigger.IsFlow == is_flow)
                            && (path_start is null || v.Trigger.Path.StartsWith(path_start, StringComparison.Ordinal))
                            && labels.All(l => v.Trigger.Labels?.Contains(l) == true))
                .OrderByDescending(v => v.EditedAt).ThenBy(v => v.Trigger.Path, StringComparer.Ordinal)
                .Skip((Math.Max(page ?? 1, 1) - 1) * perPage).Take(perPage);
            return Results.Json(listed.Select(Flatten), ApiJson.Options);
        });
        group.MapPost("/setmode/{*path}", async (string workspace, string path, SetModeRequest request, IGrainFactory grains) =>
        {
            if (request.Mode is not { } mode)
                throw new InvalidInputException("mode", "mode is required: \"enabled\", \"disabled\" or \"suspended\".");
            await Grain<TGrain>(grains, workspace, path).SetModeAsync(mode);
            return Results.Text($"Trigger '{path}' {mode.ToString().ToLowerInvariant()}");
        });
        // A dry run of filters on sample messages: which would run (none of the peers has one).
        group.MapPost("/test_filters", async (TestFiltersRequest request, IGrainFactory grains) =>
        {
            if (request.Messages is not { } messages)
                throw new InvalidInputException("messages", "Give the sample messages to try, e.g. {\"filters\": [...], \"messages\": [{\"type\": \"order\"}]}.");
            var runs = await grains.GetGrain<IFilterTesterGrain>(0).TestAsync(request.Filters, request.FilterLogic ?? FilterLogic.And, messages);
            return Results.Json(new { runs, matched = runs.Count(r => r) }, ApiJson.Options);
        });
        // Re-drive (ours): failed jobs run once more with their original events, keeping their ids and attempt history.
        group.MapPost("/redrive/{*path}", async (string workspace, string path,
            [FromBody(EmptyBodyBehavior = EmptyBodyBehavior.Allow)] RedriveRequest? request, IGrainFactory grains) =>
        {
            if (request?.Status is { } status && status != "failure")
                throw new InvalidInputException("status", $"Only failed jobs run again; status must be \"failure\" (or left out), not \"{status}\".");
            if (request is { JobIds: not null, Since: not null })
                throw new InvalidInputException("since", "Give either job_ids or since, not both.");
            var redriven = await Grain<TGrain>(grains, workspace, path).RedriveAsync(request?.JobIds, request?.Since);
            return Results.Json(new { redriven = redriven.Count, job_ids = redriven }, ApiJson.Options);
        });
        // Windmill's routes for the jobs a suspended trigger holds: release (some of) them, or cancel them unrun.
        workspace.MapPost($"/trigger/{kind}/resume_suspended_trigger_jobs/{{*path}}", async (string workspace, string path,
            [FromBody(EmptyBodyBehavior = EmptyBodyBehavior.Allow)] HeldJobsRequest? request, IGrainFactory grains) =>
            Results.Json($"Reassigned {await Grain<TGrain>(grains, workspace, path).ReleaseHeldJobsAsync(request?.JobIds)} jobs"));
        workspace.MapPost($"/trigger/{kind}/cancel_suspended_trigger_jobs/{{*path}}", async (string workspace, string path,
            [FromBody(EmptyBodyBehavior = EmptyBodyBehavior.Allow)] HeldJobsRequest? request, IGrainFactory grains) =>
            await Grain<TGrain>(grains, workspace, path).CancelHeldJobsAsync(request?.JobIds) is var canceled and > 0
                ? Results.Json($"Canceled {canceled} jobs")
                : Results.Json("No jobs to cancel"));
        return group;
    }

    private const int DefaultPerPage = 100;
    private const int MaxPerPage = 1000;

    /// <summary>
    /// Reads a trigger as Windmill's clients send it: the legacy <c>enabled</c> flag stands for <c>mode</c> when that is
    /// absent. <c>ModeGiven</c> says whether the body said how the trigger listens at all.
    /// </summary>
    private static (TTrigger Trigger, bool ModeGiven) ReadTrigger<TTrigger>(JsonObject? body)
    {
        if (body is null) throw new InvalidInputException("body", "The request body must be a JSON object of the trigger's fields.");
        var modeGiven = body.ContainsKey("mode") || body.ContainsKey("enabled");
        if (body.TryGetPropertyValue("enabled", out var enabled))
        {
            if (enabled?.GetValueKind() is not (JsonValueKind.True or JsonValueKind.False))
                throw new InvalidInputException("enabled", "enabled (the legacy form of mode) must be true or false.");
            if (!body.ContainsKey("mode")) body["mode"] = enabled.GetValue<bool>() ? "enabled" : "disabled";
            body.Remove("enabled");
        }
        return (body.Deserialize<TTrigger>(ApiJson.Options)!, modeGiven);
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
        json["edited_by"] = view.EditedBy;
        json["edited_at"] = view.EditedAt;
        return json;
    }
}
