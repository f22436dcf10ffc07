using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Triggers.Resources;
using Triggers.Security;
using Triggers.Tests.EndToEnd;
using Triggers.Tests.Infrastructure;
using Triggers.Validation;

namespace Triggers.Tests.Security;

/// <summary>Rotating Secrets:Key: the new key seals, Secrets:PreviousKeys still open what the old one sealed, and
/// <c>POST /api/secrets/reseal</c> moves every stored secret to the current key.</summary>
[Collection(EmbeddedSiloCollection.Name)]
public sealed class SecretRotationTests(EmbeddedSiloFixture fixture)
{
    private static readonly SecretContext Context = SecretContext.Of("ws", "u/test/kafka", "password");

    private static SecretProtector Protector(string key, params string[] previous) =>
        new(Options.Create(new SecretsOptions { Key = key, PreviousKeys = [.. previous] }), NullLogger<SecretProtector>.Instance);

    private static string NewKey() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    [Fact]
    public void A_previous_key_still_opens_what_it_sealed_and_without_it_nothing_does()
    {
        var (oldKey, newKey) = (NewKey(), NewKey());
        var sealedByOld = Protector(oldKey).Protect("s3cret", Context);

        Assert.Equal("s3cret", Protector(newKey, oldKey).Unprotect(sealedByOld, Context));
        var withoutOld = Assert.Throws<InvalidOperationException>(() => Protector(newKey).Unprotect(sealedByOld, Context));
        Assert.Contains("Secrets:PreviousKeys", withoutOld.Message);

        // What the rotating silo seals again opens with the new key alone.
        var resealed = Protector(newKey, oldKey).Protect(Protector(newKey, oldKey).Unprotect(sealedByOld, Context), Context);
        Assert.Equal("s3cret", Protector(newKey).Unprotect(resealed, Context));
    }

    [Fact]
    public async Task Reseal_encrypts_every_stored_secret_again_and_keeps_what_it_says()
    {
        var ws = $"rot-{Guid.NewGuid():N}"[..20];
        var password = $"{SecretMarker.Prefix}{Guid.NewGuid():N}";
        await fixture.Api.CreateWorkspaceAsync(ws);
        using (var create = await fixture.Api.Http.PostAsJsonAsync($"/api/w/{ws}/resources/create", new
               {
                   path = "u/test/kafka", resource_type = "kafka",
                   value = new { brokers = new[] { "kafka-1:9093" }, security = new { label = "SASL_SSL", mechanism = "PLAIN", username = "svc", password } },
               }))
            create.EnsureSuccessStatusCode();
        var grain = fixture.Silo.Services.GetRequiredService<IGrainFactory>().GetGrain<IResourceGrain>(Names.ItemKey(ws, "u/test/kafka"));
        string Stored(Resource r) => r.Value.GetProperty("security").GetProperty("password").GetString()!;
        var before = Stored((await grain.GetAsync())!);

        using var reseal = await fixture.Api.Http.PostAsync("/api/secrets/reseal", null);
        Assert.True(reseal.IsSuccessStatusCode, await reseal.Content.ReadAsStringAsync());
        Assert.True((await reseal.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("resealed").GetInt32() >= 1);

        var after = Stored((await grain.GetAsync())!);
        Assert.NotEqual(before, after); // sealed afresh
        Assert.StartsWith("enc:v2:", after);
        Assert.Equal(password, fixture.Silo.Services.GetRequiredService<SecretProtector>().Unprotect(after, SecretContext.Of(ws, "u/test/kafka", "password")));
    }
}
