using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Triggers.Resources;
using Triggers.Security;
using Triggers.Tests.EndToEnd;
using Triggers.Tests.Infrastructure;
using Triggers.Triggers.Kafka;
using Triggers.Validation;

namespace Triggers.Tests.Security;

/// <summary>
/// SASL OAUTHBEARER with OIDC client credentials: librdkafka gets its token from a real HTTP token endpoint with the
/// resource's client id, secret and scope, then meets the mock broker's refusal of SASL (the mock has no SASL). The
/// client secret is encrypted at rest and never shown.
/// </summary>
[Collection(EmbeddedSiloCollection.Name)]
public sealed class OAuthBearerTests(EmbeddedSiloFixture fixture) : IDisposable
{
    private readonly TokenEndpoint _idp = new();

    public void Dispose() => _idp.Dispose();

    private object OAuth(string? secret, string? endpoint = null) => new
    {
        label = "SASL_PLAINTEXT", mechanism = "OAUTHBEARER", oauth_token_endpoint_url = endpoint ?? _idp.Url,
        oauth_client_id = "triggers-client", oauth_client_secret = secret, oauth_scope = "kafka.read",
        oauth_extensions = new { logicalCluster = "lkc-123" },
    };

    [Fact]
    public async Task The_silo_gets_its_token_with_the_client_credentials_and_the_secret_is_stored_encrypted_and_never_shown()
    {
        var ws = $"oa-{Guid.NewGuid():N}"[..20];
        var secret = $"{SecretMarker.Prefix}{Guid.NewGuid():N}";
        await fixture.Api.CreateWorkspaceAsync(ws);
        await fixture.Api.CreateScriptAsync(ws, "u/test/echo", "bun", "export async function main(payload: string) { return payload; }");
        using (var create = await fixture.Api.Http.PostAsJsonAsync($"/api/w/{ws}/resources/create", new
               {
                   path = "u/test/cloud", resource_type = "kafka", value = new { brokers = fixture.Kafka.BootstrapServers.Split(','), security = OAuth(secret) },
               }))
            Assert.True(create.IsSuccessStatusCode, await create.Content.ReadAsStringAsync());

        var stored = (await fixture.Silo.Services.GetRequiredService<IGrainFactory>().GetGrain<IResourceGrain>(Names.ItemKey(ws, "u/test/cloud")).GetAsync())!
            .Value.GetProperty("security").GetProperty("oauth_client_secret").GetString()!;
        Assert.StartsWith("enc:v2:", stored);
        Assert.Equal(secret, fixture.Silo.Services.GetRequiredService<SecretProtector>().Unprotect(stored, SecretContext.Of(ws, "u/test/cloud", "oauth_client_secret")));
        var shown = await fixture.Api.Http.GetStringAsync($"/api/w/{ws}/resources/get/u/test/cloud");
        Assert.DoesNotContain(secret, shown);
        Assert.Contains(KafkaConnection.Redacted, shown);

        await fixture.Api.CreateTriggerAsync(ws, new { path = "u/test/trigger", script_path = "u/test/echo", kafka_resource_path = "u/test/cloud", topics = new[] { "orders" } });
        var request = await Eventually.WaitAsync(() => Task.FromResult(_idp.Requests.ToArray()), r => r.Length > 0,
            TimeSpan.FromSeconds(30), "the silo to ask the token endpoint");
        var first = request[0];
        Assert.Equal("Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"triggers-client:{secret}")), first.Authorization);
        Assert.Contains("grant_type=client_credentials", first.Body);
        Assert.Contains("scope=kafka.read", first.Body);

        // With its token, the client tries to log in; the mock broker has no SASL, and the trigger says so.
        var trigger = await Eventually.WaitAsync(() => fixture.Api.GetTriggerAsync(ws, "u/test/trigger"),
            t => ((string?)t["error"] ?? "").Contains("SASL", StringComparison.OrdinalIgnoreCase), TimeSpan.FromSeconds(30), "the broker's SASL refusal");
        Assert.DoesNotContain(secret, trigger.ToJsonString());
    }

    [Theory]
    [InlineData("oauth_token_endpoint_url", """{"label": "SASL_SSL", "mechanism": "OAUTHBEARER", "oauth_client_id": "c", "oauth_client_secret": "s"}""")]
    [InlineData("oauth_token_endpoint_url", """{"label": "SASL_SSL", "mechanism": "OAUTHBEARER", "oauth_token_endpoint_url": "login.example.com/token", "oauth_client_id": "c", "oauth_client_secret": "s"}""")]
    [InlineData("oauth_client_secret", """{"label": "SASL_SSL", "mechanism": "OAUTHBEARER", "oauth_token_endpoint_url": "https://idp/token", "oauth_client_id": "c"}""")]
    [InlineData("oauth_extensions", """{"label": "SASL_SSL", "mechanism": "OAUTHBEARER", "oauth_token_endpoint_url": "https://idp/token", "oauth_client_id": "c", "oauth_client_secret": "s", "oauth_extensions": {"pool": "a,b"}}""")]
    public async Task An_incomplete_oauth_resource_is_refused_naming_the_field(string field, string security)
    {
        var ws = $"oa-{Guid.NewGuid():N}"[..20];
        await fixture.Api.CreateWorkspaceAsync(ws);
        var body = """{"path": "u/test/bad", "resource_type": "kafka", "value": {"brokers": ["kafka:9093"], "security": """ + security + "}}";
        using var response = await fixture.Api.Http.PostAsync($"/api/w/{ws}/resources/create", new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal($"value.security.{field}", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("field").GetString());
    }

    /// <summary>An OIDC identity provider's token endpoint: answers the client credentials grant with an unsigned JWT.</summary>
    private sealed class TokenEndpoint : IDisposable
    {
        private readonly HttpListener _listener = new();
        public ConcurrentQueue<(string? Authorization, string Body)> Requests { get; } = new();
        public string Url { get; }

        public TokenEndpoint()
        {
            Url = $"http://127.0.0.1:{FreePorts.Next()}/oauth2/token";
            _listener.Prefixes.Add(Url[..(Url.LastIndexOf('/') + 1)]);
            _listener.Start();
            _ = Task.Run(ServeAsync);
        }

        private async Task ServeAsync()
        {
            while (_listener.IsListening)
            {
                HttpListenerContext context;
                try { context = await _listener.GetContextAsync(); }
                catch (Exception e) when (e is HttpListenerException or ObjectDisposedException) { return; }
                using (var reader = new StreamReader(context.Request.InputStream)) Requests.Enqueue((context.Request.Headers["Authorization"], await reader.ReadToEndAsync()));
                var token = $"{Base64Url("""{"alg":"none","typ":"JWT"}""")}.{Base64Url($$"""{"sub":"triggers-client","iat":{{DateTimeOffset.UtcNow.ToUnixTimeSeconds()}},"exp":{{DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds()}}}""")}.c2ln";
                var answer = Encoding.UTF8.GetBytes($$"""{"access_token":"{{token}}","token_type":"bearer","expires_in":3600}""");
                context.Response.ContentType = "application/json";
                await context.Response.OutputStream.WriteAsync(answer);
                context.Response.Close();
            }
        }

        private static string Base64Url(string json) => Convert.ToBase64String(Encoding.UTF8.GetBytes(json)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

        public void Dispose()
        {
            _listener.Stop();
            _listener.Close();
        }
    }
}
