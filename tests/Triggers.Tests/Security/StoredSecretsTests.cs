using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Triggers.Resources;
using Triggers.Security;
using Triggers.Triggers.Kafka;
using Triggers.Tests.EndToEnd;
using Triggers.Tests.Infrastructure;
using Triggers.Validation;

namespace Triggers.Tests.Security;

/// <summary>Resource secrets are encrypted at rest, redacted by the API, and kept when an update leaves them out.</summary>
[Collection(EmbeddedSiloCollection.Name)]
public sealed class StoredSecretsTests(EmbeddedSiloFixture fixture)
{
    private const string Path = "u/test/secure";

    private async Task<string> StoredPasswordAsync(string ws)
    {
        var grains = fixture.Silo.Services.GetRequiredService<IGrainFactory>();
        var stored = await grains.GetGrain<IResourceGrain>(Names.ItemKey(ws, Path)).GetAsync();
        return stored!.Value.GetProperty("security").GetProperty("password").GetString()!;
    }

    private string Decrypt(string stored) => fixture.Silo.Services.GetRequiredService<SecretProtector>().Unprotect(stored);

    private static object Sasl(string? password) => new
    {
        brokers = new[] { "kafka-1:9093" },
        security = password is null
            ? (object)new { label = "SASL_SSL", mechanism = "SCRAM-SHA-512", username = "svc" }
            : new { label = "SASL_SSL", mechanism = "SCRAM-SHA-512", username = "svc", password },
    };

    [Fact]
    public async Task A_password_is_stored_encrypted_and_an_update_without_it_keeps_it()
    {
        var ws = $"sec-{Guid.NewGuid():N}"[..20];
        var password = $"{SecretMarker.Prefix}{Guid.NewGuid():N}";
        await fixture.Api.CreateWorkspaceAsync(ws);
        using (var create = await fixture.Api.Http.PostAsJsonAsync($"/api/w/{ws}/resources/create", new { path = Path, resource_type = "kafka", value = Sasl(password) }))
            create.EnsureSuccessStatusCode();

        var stored = await StoredPasswordAsync(ws);
        Assert.StartsWith("enc:v1:", stored);
        Assert.DoesNotContain(password, stored);
        Assert.Equal(password, Decrypt(stored));

        // Leaving the password out, or sending back the redacted value the API showed, keeps the stored one.
        using (var withoutPassword = await fixture.Api.Http.PostAsJsonAsync($"/api/w/{ws}/resources/update/{Path}", new { resource_type = "kafka", value = Sasl(null), description = "renamed" }))
            withoutPassword.EnsureSuccessStatusCode();
        Assert.Equal(password, Decrypt(await StoredPasswordAsync(ws)));
        var shown = await fixture.Api.Http.GetFromJsonAsync<JsonElement>($"/api/w/{ws}/resources/get/{Path}");
        using (var roundTrip = await fixture.Api.Http.PostAsJsonAsync($"/api/w/{ws}/resources/update/{Path}", new { resource_type = "kafka", value = shown.GetProperty("value") }))
            roundTrip.EnsureSuccessStatusCode();
        Assert.Equal(password, Decrypt(await StoredPasswordAsync(ws)));

        using (var changed = await fixture.Api.Http.PostAsJsonAsync($"/api/w/{ws}/resources/update/{Path}", new { resource_type = "kafka", value = Sasl($"{SecretMarker.Prefix}new") }))
            changed.EnsureSuccessStatusCode();
        Assert.Equal($"{SecretMarker.Prefix}new", Decrypt(await StoredPasswordAsync(ws)));
        Assert.Equal(KafkaConnection.Redacted, (await fixture.Api.Http.GetFromJsonAsync<JsonElement>($"/api/w/{ws}/resources/get/{Path}"))
            .GetProperty("value").GetProperty("security").GetProperty("password").GetString());
    }
}
