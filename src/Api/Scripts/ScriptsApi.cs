using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Triggers.Api.Extensions;
using Triggers.Captures;
using Triggers.Jobs;
using Triggers.Scripts;
using Triggers.Validation;
using Triggers.Workspaces;

namespace Triggers.Api.Scripts;

/// <param name="ParentHash">The version this one edits, required when the path already holds a script (Windmill's field).</param>
public sealed record CreateScriptRequest(
    string? Path, ScriptLanguage? Language, string? Content, string? Summary, bool? DedicatedWorker, string? ParentHash, string? DeploymentMessage);

public static class ScriptsApi
{
    public static RouteGroupBuilder MapScriptsApi(this RouteGroupBuilder workspace)
    {
        var group = workspace.MapGroup("/scripts");
        group.MapPost("/create", async (string workspace, CreateScriptRequest request, IGrainFactory grains) =>
        {
            Names.RequirePath(request.Path);
            if (request.Language is not { } language)
                throw new InvalidInputException("language", "language is required: \"bun\", \"python3\" or \"bash\".");
            var saved = await Grain(grains, workspace, request.Path!).CreateAsync(new Script
            {
                Language = language, Content = request.Content ?? "", Summary = request.Summary, DedicatedWorker = request.DedicatedWorker ?? false,
                ParentHashes = request.ParentHash is { } parent ? [parent] : [], DeploymentMessage = request.DeploymentMessage,
            });
            // As Windmill: the answer is the new version's hash.
            return Results.Text(saved.Hash, statusCode: StatusCodes.Status201Created);
        });
        group.MapGet("/get/h/{hash}", async (string workspace, string hash, IGrainFactory grains) =>
            await grains.GetGrain<IVersionGrain<Script>>(VersionKeys.Script(workspace, hash)).GetAsync() is { } version
                ? Results.Ok(version)
                : Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: $"No script version {hash} in workspace '{workspace}'."));
        // Windmill's history: every version of the path, newest first, with what its author said about it.
        group.MapGet("/history/p/{*path}", async (string workspace, string path, IGrainFactory grains) =>
        {
            var latest = await Grain(grains, workspace, path).GetAsync()
                ?? throw new NotFoundException($"No script at '{path}' in workspace '{workspace}'.");
            var history = new List<object>();
            foreach (var hash in latest.ParentHashes.Prepend(latest.Hash).Where(h => h.Length > 0))
            {
                var version = await grains.GetGrain<IVersionGrain<Script>>(VersionKeys.Script(workspace, hash)).GetAsync();
                history.Add(new { script_hash = hash, deployment_msg = version?.DeploymentMessage, created_at = version?.CreatedAt });
            }
            return Results.Json(history, ApiJson.Options);
        });
        group.MapGet("/get/p/{*path}", async (string workspace, string path, IGrainFactory grains) =>
            await Grain(grains, workspace, path).GetAsync() is { } script
                ? Results.Ok(script)
                : Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: $"No script at '{path}'."));
        group.MapPost("/delete/p/{*path}", async (string workspace, string path, IGrainFactory grains) =>
        {
            await Grain(grains, workspace, path).DeleteAsync();
            return Results.Text(path);
        });
        // A preprocessor's dry run (ours): the arguments main would get for this event, main not run. It is a job like any
        // other (a worker slot, the same sandbox and limits); the route waits for it a while and otherwise names it.
        group.MapPost("/preprocess/p/{*path}", async (string workspace, string path, JsonElement body, IGrainFactory grains, CancellationToken ct) =>
        {
            var id = Guid.NewGuid();
            var job = await grains.GetGrain<IJobGrain>(id).EnqueuePreprocessAsync(workspace, path, await EventAsync(grains, workspace, body));
            var waited = System.Diagnostics.Stopwatch.StartNew();
            while (job.Status is not (JobStatus.Success or JobStatus.Failure) && waited.Elapsed < DryRunWait)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(50), ct);
                job = await grains.GetGrain<IJobGrain>(id).GetAsync() ?? job;
            }
            return job.Status switch
            {
                JobStatus.Success => Results.Json(new { job_id = id, success = true, args = job.Result, logs = job.Logs }, ApiJson.Options),
                JobStatus.Failure => Results.Json(new { job_id = id, success = false, error = job.Error, logs = job.Logs }, ApiJson.Options),
                _ => Results.Json(new { job_id = id, status = job.Status.Name(), detail = $"Still {job.Status.Name()} after {DryRunWait.TotalSeconds:0} s; poll jobs_u/get/{id}." },
                    ApiJson.Options, statusCode: StatusCodes.Status202Accepted),
            };
        });
        group.MapGet("/list", async (string workspace, IGrainFactory grains) =>
            (await WorkspaceItems.ListAsync<IScriptGrain, Script>(grains, workspace, ItemKinds.Script, g => g.GetAsync()))
                .Select(s => new { s.Path, s.Hash, s.Language, s.Summary, s.Signature, s.CreatedAt, s.DedicatedWorker }));
        return workspace;
    }

    private static readonly TimeSpan DryRunWait = TimeSpan.FromSeconds(30);

    /// <summary>The event to preprocess: the body itself, or <c>{"capture_id": N}</c> for the event a capture caught.</summary>
    private static async Task<JsonElement> EventAsync(IGrainFactory grains, string workspace, JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object || !body.TryGetProperty("capture_id", out var captureId)) return body;
        if (!captureId.TryGetInt64(out var id))
            throw new InvalidInputException("capture_id", "capture_id must be the id of a capture, as capture/list shows it.");
        var capture = await grains.GetGrain<ICaptureGrain>(workspace).GetAsync(id)
            ?? throw new NotFoundException($"No capture {id} in workspace '{workspace}'.");
        return capture.PreprocessorArgs.TryGetProperty("event", out var captured) ? captured
            : throw new InvalidInputException("capture_id", $"Capture {id} holds no event for a preprocessor.");
    }

    private static IScriptGrain Grain(IGrainFactory grains, string workspace, string path) => WorkspaceItems.Grain<IScriptGrain>(grains, workspace, path);
}
