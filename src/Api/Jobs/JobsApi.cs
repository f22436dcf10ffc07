using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Triggers.Jobs;
using Triggers.Validation;

namespace Triggers.Api.Jobs;

public static class JobsApi
{
    public static RouteGroupBuilder MapJobsApi(this RouteGroupBuilder workspace)
    {
        workspace.MapPost("/jobs/run/p/{*path}", (string workspace, string path, HttpRequest http, IGrainFactory grains) =>
            RunAsync(workspace, path, isFlow: false, http, grains)).RequireRateLimiting(JobAdmission.StartsPolicy);
        workspace.MapPost("/jobs/run/f/{*path}", (string workspace, string path, HttpRequest http, IGrainFactory grains) =>
            RunAsync(workspace, path, isFlow: true, http, grains)).RequireRateLimiting(JobAdmission.StartsPolicy);
        workspace.MapGet("/jobs/list", async (string workspace, string? script_path, string? trigger_path, string? status,
            Guid? flow_job_id, int? page, int? per_page, IGrainFactory grains) =>
            await grains.GetGrain<IJobCatalogGrain>(0).ListAsync(JobQuery.Checked(new JobQuery
            {
                WorkspaceId = workspace,
                ScriptPath = script_path,
                TriggerPath = trigger_path,
                Status = ParseStatus(status),
                FlowJobId = flow_job_id,
                Page = page ?? 1,
                PerPage = per_page ?? 100,
            })));
        workspace.MapGet("/jobs_u/get/{id}", async (string workspace, Guid id, IGrainFactory grains) =>
            await FindAsync(grains, workspace, id) is { } job ? Results.Ok(job) : NotFound(id));
        workspace.MapGet("/jobs_u/completed/get_result/{id}", async (string workspace, Guid id, IGrainFactory grains) =>
            await FindAsync(grains, workspace, id) switch
            {
                null => NotFound(id),
                { Status: JobStatus.Success or JobStatus.Failure } job => Results.Json(job.Result),
                var job => Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not completed",
                    detail: $"Job {id} has not completed yet (status: {job.Status.Name()}); poll jobs_u/get/{id}."),
            });
        return workspace;
    }

    /// <summary>Queues a direct run of a script or flow; the body holds its arguments; answers the job id.</summary>
    private static async Task<IResult> RunAsync(string workspace, string path, bool isFlow, HttpRequest http, IGrainFactory grains)
    {
        JobAdmission.LimitArgsSize(http.HttpContext);
        if (await JobAdmission.BacklogRefusalAsync(http.HttpContext, workspace) is { } refused) return refused;
        var args = await ReadArgsAsync(http);
        var id = Guid.NewGuid();
        await grains.GetGrain<IJobGrain>(id).EnqueueAsync(workspace, path, isFlow, args);
        return Results.Text(id.ToString(), statusCode: StatusCodes.Status201Created);
    }

    private static async Task<JsonElement> ReadArgsAsync(HttpRequest http)
    {
        if (http.ContentLength == 0) return default;
        try
        {
            using var body = await JsonDocument.ParseAsync(http.Body);
            return body.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new InvalidInputException("body", $"The request body must be a JSON object of main's arguments: {e.Message}");
        }
    }

    /// <summary>Reads a status by its API name, so query and response spell it alike.</summary>
    private static JobStatus? ParseStatus(string? status)
    {
        if (string.IsNullOrEmpty(status)) return null;
        return JobStatusNames.TryParse(status, out var parsed) ? parsed
            : throw new InvalidInputException("status", $"'{status}' is not a job status: use {string.Join(", ", JobStatusNames.All)}.");
    }

    private static async Task<Job?> FindAsync(IGrainFactory grains, string workspace, Guid id) =>
        await grains.GetGrain<IJobGrain>(id).GetAsync() is { } job && job.WorkspaceId == workspace ? job : null;

    private static IResult NotFound(Guid id) =>
        Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: $"No job {id} in this workspace.");
}
