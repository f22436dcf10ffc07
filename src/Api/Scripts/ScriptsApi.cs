using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Triggers.Api.Extensions;
using Triggers.Scripts;
using Triggers.Validation;
using Triggers.Workspaces;

namespace Triggers.Api.Scripts;

public sealed record CreateScriptRequest(string? Path, ScriptLanguage? Language, string? Content, string? Summary, bool? DedicatedWorker);

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
            await Grain(grains, workspace, request.Path!).CreateAsync(new Script
            {
                Language = language, Content = request.Content ?? "", Summary = request.Summary, DedicatedWorker = request.DedicatedWorker ?? false,
            });
            return Results.Text(request.Path, statusCode: StatusCodes.Status201Created);
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
                .Select(s => new { s.Path, s.Language, s.Summary, s.Signature, s.CreatedAt, s.DedicatedWorker }));
        return workspace;
    }

    private static IScriptGrain Grain(IGrainFactory grains, string workspace, string path) => WorkspaceItems.Grain<IScriptGrain>(grains, workspace, path);
}
