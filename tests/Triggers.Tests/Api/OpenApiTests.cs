using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.OpenApi;
using Microsoft.OpenApi.Reader;
using Triggers.Tests.EndToEnd;

namespace Triggers.Tests.Api;

/// <summary>The API describes itself: an OpenAPI document with every mapped route, and a reference page, without a token.</summary>
[Collection(EmbeddedSiloCollection.Name)]
public sealed class OpenApiTests(EmbeddedSiloFixture fixture)
{
    [Fact]
    public async Task The_document_validates_and_lists_every_mapped_api_route_with_its_methods()
    {
        using var anonymous = fixture.Silo.CreateClient();
        using var response = await anonymous.GetAsync("/api/openapi.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await using var body = await response.Content.ReadAsStreamAsync();
        var read = await OpenApiDocument.LoadAsync(body, "json", new OpenApiReaderSettings());
        Assert.Empty(read.Diagnostic?.Errors ?? []);
        var document = read.Document!;
        Assert.Empty(document.Validate(ValidationRuleSet.GetDefaultRuleSet()) ?? []);

        var documented = document.Paths.SelectMany(p => p.Value.Operations!.Keys.Select(m => $"{m.Method.ToUpperInvariant()} {p.Key}")).ToHashSet();
        var mapped = fixture.Silo.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText!.StartsWith("/api/", StringComparison.Ordinal) && e.Metadata.GetMetadata<IHttpMethodMetadata>() is not null)
            .Where(e => !e.RoutePattern.RawText!.StartsWith("/api/docs", StringComparison.Ordinal) && e.RoutePattern.RawText != "/api/{documentName}.json")
            .SelectMany(e => e.Metadata.GetMetadata<IHttpMethodMetadata>()!.HttpMethods.Select(m => $"{m} {OpenApiPath(e.RoutePattern)}"))
            .ToHashSet();
        Assert.True(mapped.Count > 40, $"only {mapped.Count} routes found");
        Assert.Empty(mapped.Except(documented).Order());
        Assert.Contains("POST /api/w/{workspace}/kafka_triggers/commit_offsets/{path}", documented);
        Assert.Contains("bearer", document.Components!.SecuritySchemes!.Keys);
    }

    [Fact]
    public async Task Operations_describe_their_bodies_with_examples_and_the_problems_they_answer()
    {
        using var anonymous = fixture.Silo.CreateClient();
        var document = System.Text.Json.Nodes.JsonNode.Parse(await anonymous.GetStringAsync("/api/openapi.json"))!;
        var paths = document["paths"]!.AsObject();

        // A trigger's body is read by the handler itself, so the generator alone would show none.
        var create = paths["/api/w/{workspace}/kafka_triggers/create"]!["post"]!;
        var body = create["requestBody"]!["content"]!["application/json"]!;
        Assert.Equal("u/admin/orders_trigger", (string?)body["example"]!["path"]);
        var schema = body["schema"]!["$ref"] is { } reference
            ? document["components"]!["schemas"]![((string)reference!).Split('/')[^1]]!
            : body["schema"]!;
        Assert.NotNull(schema["properties"]!["topics"]);
        Assert.Equal("batch_size", (string?)create["responses"]!["400"]!["content"]!["application/problem+json"]!["example"]!["field"]);

        // Every operation that needs the token says what happens without it, and that a moving item answers 503.
        foreach (var (path, item) in paths.Where(p => p.Key.StartsWith("/api/w/", StringComparison.Ordinal)))
            foreach (var (method, operation) in item!.AsObject())
            {
                var responses = operation!["responses"]!.AsObject();
                Assert.True(responses.ContainsKey("401") && responses.ContainsKey("503") && responses.ContainsKey("404"), $"{method} {path} lacks its problem responses");
                if (method == "post") Assert.True(responses.ContainsKey("400") && responses.ContainsKey("409"), $"{method} {path} lacks 400/409");
            }
    }

    [Fact]
    public async Task The_reference_page_is_served_with_its_script_from_the_silo_itself()
    {
        using var anonymous = fixture.Silo.CreateClient();
        using var page = await anonymous.GetAsync("/api/docs");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var html = await page.Content.ReadAsStringAsync();
        Assert.Contains("\"url\":\"api/openapi.json\"", html);
        var script = System.Text.RegularExpressions.Regex.Match(html, "<script[^>]+src=\"([^\"]+)\"").Groups[1].Value;
        Assert.False(script.StartsWith("http", StringComparison.Ordinal), $"the page loads {script} from elsewhere");
        using var scriptResponse = await anonymous.GetAsync(new Uri(new Uri(anonymous.BaseAddress!, "/api/docs/"), script));
        Assert.Equal(HttpStatusCode.OK, scriptResponse.StatusCode);
    }

    /// <summary>A route as the document names it: parameters without constraints or catch-all stars.</summary>
    private static string OpenApiPath(Microsoft.AspNetCore.Routing.Patterns.RoutePattern pattern) =>
        "/" + string.Join("/", pattern.PathSegments.Select(segment => string.Concat(segment.Parts.Select(part => part switch
        {
            Microsoft.AspNetCore.Routing.Patterns.RoutePatternLiteralPart literal => literal.Content,
            Microsoft.AspNetCore.Routing.Patterns.RoutePatternParameterPart parameter => $"{{{parameter.Name}}}",
            Microsoft.AspNetCore.Routing.Patterns.RoutePatternSeparatorPart separator => separator.Content,
            _ => "",
        }))));
}
