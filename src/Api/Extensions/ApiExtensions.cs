using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Triggers.Api.Auth;
using Triggers.Api.Captures;
using Triggers.Api.Errors;
using Triggers.Api.Flows;
using Triggers.Api.Jobs;
using Triggers.Api.Platform;
using Triggers.Api.Resources;
using Triggers.Api.Scripts;
using Triggers.Api.Tokens;
using Triggers.Api.TriggerConsole;
using Triggers.Api.Triggers.Kafka;
using Triggers.Api.Workspaces;

namespace Triggers.Api.Extensions;

public static class ApiExtensions
{
    /// <summary>Services the management API needs; the grain factory comes from the silo or a cluster client.</summary>
    public static IServiceCollection AddTriggersApi(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<AuthOptions>(configuration.GetSection(AuthOptions.Section));
        services.ConfigureHttpJsonOptions(o => ApiJson.Configure(o.SerializerOptions));
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true); // so malformed JSON gets a problem body
        services.AddProblemDetails();
        services.AddExceptionHandler<ProblemExceptionHandler>();
        services.AddSingleton<ApiAccess>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddHealthChecks().AddCheck<ClusterReadyCheck>("cluster", tags: ["ready"]);
        services.AddTriggersApiDocumentation();
        services.AddJobAdmission(configuration);
        return services;
    }

    public static IEndpointRouteBuilder MapTriggersApi(this IEndpointRouteBuilder app)
    {
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = check => check.Tags.Contains("ready") });
        // Every check with its reason, for a person or a monitor: what /health/ready's one word does not say.
        app.MapHealthChecks("/health", new HealthCheckOptions
        {
            ResultStatusCodes = { [HealthStatus.Degraded] = StatusCodes.Status200OK },
            ResponseWriter = (context, report) => context.Response.WriteAsJsonAsync(new
            {
                status = report.Status.ToString(),
                checks = report.Entries.ToDictionary(e => e.Key, e => new { status = e.Value.Status.ToString(), description = e.Value.Description }),
            }),
        });
        app.MapPlatformApi();
        app.MapTriggersApiDocumentation();
        app.MapConsoleApi();

        var api = app.MapGroup("/api").WithMetadata(new RequiresToken());
        api.MapWorkspacesApi();
        api.MapTokensApi();
        api.MapSecretsApi();
        api.MapDevKafkaApi();
        var workspace = api.MapGroup("/w/{workspace}").AddEndpointFilter<WorkspaceExistsFilter>();
        workspace.MapWorkspaceSettingsApi();
        workspace.MapResourcesApi();
        workspace.MapScriptsApi();
        workspace.MapFlowsApi();
        workspace.MapKafkaTriggersApi();
        workspace.MapJobsApi();
        workspace.MapCapturesApi();
        return app;
    }

    /// <summary>The API's middleware: headers that keep browsers from framing or sniffing any answer, the exception
    /// handler and status-code pages that give every error a problem-details body, and the token check, which answers
    /// before a request's body is read.</summary>
    public static IApplicationBuilder UseTriggersApi(this IApplicationBuilder app) =>
        app.Use((context, next) =>
        {
            var headers = context.Response.Headers;
            headers.XFrameOptions = "DENY";
            headers.XContentTypeOptions = "nosniff";
            headers["Referrer-Policy"] = "no-referrer";
            // Pages that set a policy of their own (the console's is stricter) keep it; every other answer is at least never framed.
            context.Response.OnStarting(() =>
            {
                if (!headers.ContainsKey("Content-Security-Policy")) headers.ContentSecurityPolicy = "frame-ancestors 'none'";
                return Task.CompletedTask;
            });
            return next(context);
        }).UseExceptionHandler().UseStatusCodePages().UseApiAccess().UseRateLimiter();
}
