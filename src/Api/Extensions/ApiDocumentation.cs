using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.OpenApi;
using Scalar.AspNetCore;

namespace Triggers.Api.Extensions;

/// <summary>
/// The API's own description: an OpenAPI document generated from the mapped routes (ASP.NET Core's built-in
/// generator) at <c>/api/openapi.json</c>, and a reference page (Scalar, served from the package) at <c>/api/docs</c>.
/// Both are readable without a token: they describe the API and hold nothing of a workspace.
/// </summary>
public static class ApiDocumentation
{
    private const string DocumentName = "openapi";

    public static IServiceCollection AddTriggersApiDocumentation(this IServiceCollection services) =>
        services.AddOpenApi(DocumentName, options => options.AddOperationTransformer(ApiDocumentationOperations.TransformAsync).AddDocumentTransformer((document, _, _) =>
        {
            document.Info = new OpenApiInfo
            {
                Title = "Orleans Triggers API",
                Version = "v1",
                Description = "Kafka triggers that run scripts and flows as jobs, with Windmill's routes and fields. Every route under " +
                              "/api except /api/version, /api/openapi.json and /api/docs needs `Authorization: Bearer <token>`: the admin token, or an API token whose role and workspaces allow the request (403 otherwise). " +
                              "Errors are RFC 7807 problem details with a `field` where one is to blame.",
            };
            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
            document.Components.SecuritySchemes["bearer"] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http, Scheme = "bearer", Description = "The admin token (Auth:AdminToken), or an API token from /api/tokens/create.",
            };
            document.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference("bearer", document)] = [] }];
            return Task.CompletedTask;
        }));

    public static IEndpointRouteBuilder MapTriggersApiDocumentation(this IEndpointRouteBuilder app)
    {
        app.MapOpenApi($"/api/{{documentName}}.json");
        app.MapScalarApiReference("/api/docs", options =>
        {
            options.OpenApiRoutePattern = "/api/{documentName}.json";
            options.AddDocument(DocumentName);
            options.WithTitle("Orleans Triggers API");
        });
        return app;
    }
}
