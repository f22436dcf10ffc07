using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Triggers.Api.Extensions;
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
            await grains.GetGrain<IScriptVersionGrain>($"{workspace}/{hash}").GetAsync() is { } version
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
                var version = await grains.GetGrain<IScriptVersionGrain>($"{workspace}/{hash}").GetAsync();
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
        group.MapGet("/list", async (string workspace, IGrainFactory grains) =>
            (await WorkspaceItems.ListAsync<IScriptGrain, Script>(grains, workspace, ItemKinds.Script, g => g.GetAsync()))
                .Select(s => new { s.Path, s.Hash, s.Language, s.Summary, s.Signature, s.CreatedAt, s.DedicatedWorker }));
        return workspace;
    }

    private static IScriptGrain Grain(IGrainFactory grains, string workspace, string path) => WorkspaceItems.Grain<IScriptGrain>(grains, workspace, path);
}
