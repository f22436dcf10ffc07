using System.Collections.Concurrent;
using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Triggers.Api.Auth;
using Triggers.Jobs;

namespace Triggers.Api.Jobs;

/// <summary>Configuration section <c>Jobs</c>: what one workspace may put in the queue through the API, which any job
/// can call with its own token (<c>WM_TOKEN</c>), so one runaway script cannot fill the queue or the database.</summary>
public sealed class JobQuotaOptions
{
    public const string Section = "Jobs";

    /// <summary>The largest body of arguments a run request may send.</summary>
    public int MaxArgsBytes { get; set; } = 1 << 20;

    /// <summary>Unfinished jobs (waiting, held, running) a workspace may have before a run request is refused.</summary>
    public int MaxUnfinishedPerWorkspace { get; set; } = 100_000;

    /// <summary>Run requests per second and workspace that one API host admits for API and job tokens (the admin token
    /// is not limited); a burst of as many is allowed.</summary>
    public int StartsPerSecondPerWorkspace { get; set; } = 200;
}

/// <summary>
/// Admission of jobs that the API is asked to run: a rate per workspace (ASP.NET Core's rate limiter, a token bucket per
/// workspace), a ceiling on the workspace's unfinished jobs, and a size limit on the arguments. A refusal is a problem
/// answer a client can act on: 429 with <c>Retry-After</c>, or 413.
/// </summary>
public static class JobAdmission
{
    public const string StartsPolicy = "job-starts";

    public static IServiceCollection AddJobAdmission(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<JobQuotaOptions>(configuration.GetSection(JobQuotaOptions.Section));
        services.AddSingleton<WorkspaceBacklog>();
        services.AddRateLimiter(limiter =>
        {
            limiter.AddPolicy(StartsPolicy, context =>
            {
                // Behind the token check: the admin token is the operator's own and goes unlimited.
                if (ApiAccess.TokenOf(context) is null) return RateLimitPartition.GetNoLimiter("admin");
                var rate = context.RequestServices.GetRequiredService<IOptions<JobQuotaOptions>>().Value.StartsPerSecondPerWorkspace;
                var workspace = context.Request.RouteValues["workspace"] as string ?? "";
                return RateLimitPartition.GetTokenBucketLimiter(workspace, _ => new TokenBucketRateLimiterOptions
                {
                    TokenLimit = Math.Max(1, rate), TokensPerPeriod = Math.Max(1, rate), ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                    QueueLimit = 0, AutoReplenishment = true,
                });
            });
            limiter.OnRejected = (rejected, ct) =>
            {
                var retryAfter = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromSeconds(1);
                var workspace = rejected.HttpContext.Request.RouteValues["workspace"] as string;
                return new ValueTask(TooManyAsync(rejected.HttpContext, retryAfter,
                    $"Workspace '{workspace}' starts jobs faster than the {rejected.HttpContext.RequestServices.GetRequiredService<IOptions<JobQuotaOptions>>().Value.StartsPerSecondPerWorkspace} per second " +
                    "this API host admits for API and job tokens (Jobs:StartsPerSecondPerWorkspace); retry after the time in Retry-After."));
            };
        });
        return services;
    }

    /// <summary>Refuses the request (413) once its body passes <see cref="JobQuotaOptions.MaxArgsBytes"/>; Kestrel counts a
    /// body without a length as it is read.</summary>
    public static void LimitArgsSize(HttpContext context)
    {
        var max = context.RequestServices.GetRequiredService<IOptions<JobQuotaOptions>>().Value.MaxArgsBytes;
        if (context.Request.ContentLength > max) throw ArgsTooLarge(max);
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size) size.MaxRequestBodySize = max;
    }

    private static BadHttpRequestException ArgsTooLarge(int max) => new(
        $"A job's arguments may take at most {max / 1024} KiB of JSON (Jobs:MaxArgsBytes). Pass large data by reference (a URL, a resource) instead.",
        StatusCodes.Status413PayloadTooLarge);

    /// <summary>A refusal for a workspace whose unfinished jobs reached <see cref="JobQuotaOptions.MaxUnfinishedPerWorkspace"/>,
    /// or null.</summary>
    public static async Task<IResult?> BacklogRefusalAsync(HttpContext context, string workspace)
    {
        var max = context.RequestServices.GetRequiredService<IOptions<JobQuotaOptions>>().Value.MaxUnfinishedPerWorkspace;
        if (await context.RequestServices.GetRequiredService<WorkspaceBacklog>().CountAsync(workspace, max) < max) return null;
        await TooManyAsync(context, TimeSpan.FromSeconds(10),
            $"Workspace '{workspace}' has {max} unfinished jobs, its limit (Jobs:MaxUnfinishedPerWorkspace); new runs are refused until some finish.");
        return Results.Empty;
    }

    private static Task TooManyAsync(HttpContext context, TimeSpan retryAfter, string detail)
    {
        context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
        context.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        return context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = { Status = StatusCodes.Status429TooManyRequests, Title = "Too many jobs", Detail = detail },
        }).AsTask();
    }
}

/// <summary>Each workspace's unfinished jobs as counted at most a second ago: a quota check per run request must not cost
/// a count per request.</summary>
internal sealed class WorkspaceBacklog(IGrainFactory grains, TimeProvider clock)
{
    private static readonly TimeSpan Fresh = TimeSpan.FromSeconds(1);
    private readonly ConcurrentDictionary<string, (int Count, DateTimeOffset At)> _counts = new();

    public async Task<int> CountAsync(string workspace, int atMost)
    {
        if (_counts.TryGetValue(workspace, out var known) && clock.GetUtcNow() - known.At < Fresh) return known.Count;
        var count = await grains.GetGrain<IJobCatalogGrain>(0).CountUnfinishedAsync(workspace, atMost);
        _counts[workspace] = (count, clock.GetUtcNow());
        return count;
    }
}
