using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Triggers.Api.TriggerConsole;

/// <summary>
/// The trigger console at <c>/console</c>: a page and its script, embedded in this assembly, that work through the REST
/// API with the token a person signs in with. The files hold no data, so they are served without a token; every
/// request the page makes is checked like any other API call.
/// </summary>
public static class ConsoleApi
{
    private static readonly Dictionary<string, (byte[] Content, string ContentType)> Files = new()
    {
        ["index.html"] = (Read("console.html"), "text/html; charset=utf-8"),
        ["console.js"] = (Read("console.js"), "text/javascript; charset=utf-8"),
        ["console.css"] = (Read("console.css"), "text/css; charset=utf-8"),
    };

    public static IEndpointRouteBuilder MapConsoleApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/console", () => Serve("index.html")).ExcludeFromDescription();
        app.MapGet("/console/{file}", (string file) => Serve(file)).ExcludeFromDescription();
        return app;
    }

    // The console's own files only: no inline script or style, no other origin, never inside a frame.
    private const string ContentPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
        "frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

    private static IResult Serve(string file) =>
        Files.TryGetValue(file, out var f)
            ? new ConsoleFile(f.Content, f.ContentType)
            : Results.Problem(statusCode: 404, title: "Not found", detail: $"The console has no file '{file}'.");

    private sealed class ConsoleFile(byte[] content, string contentType) : IResult
    {
        public Task ExecuteAsync(HttpContext context)
        {
            context.Response.Headers.ContentSecurityPolicy = ContentPolicy;
            return Results.Bytes(content, contentType).ExecuteAsync(context);
        }
    }

    private static byte[] Read(string name)
    {
        var assembly = typeof(ConsoleApi).Assembly;
        var resource = assembly.GetManifestResourceNames().Single(n => n.EndsWith($".TriggerConsole.wwwroot.{name}", StringComparison.Ordinal));
        using var stream = assembly.GetManifestResourceStream(resource)!;
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
