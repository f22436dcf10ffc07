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

    private string Decrypt(string stored, string ws) => fixture.Silo.Services.GetRequiredService<SecretProtector>().Unprotect(stored, SecretContext.Of(ws, Path, "password"));

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
        Assert.StartsWith("enc:v2:", stored);
        Assert.DoesNotContain(password, stored);
        Assert.Equal(password, Decrypt(stored, ws));

        // Leaving the password out, or sending back the redacted value the API showed, keeps the stored one.
        using (var withoutPassword = await fixture.Api.Http.PostAsJsonAsync($"/api/w/{ws}/resources/update/{Path}", new { resource_type = "kafka", value = Sasl(null), description = "renamed" }))
            withoutPassword.EnsureSuccessStatusCode();
        Assert.Equal(password, Decrypt(await StoredPasswordAsync(ws), ws));
        var shown = await fixture.Api.Http.GetFromJsonAsync<JsonElement>($"/api/w/{ws}/resources/get/{Path}");
        using (var roundTrip = await fixture.Api.Http.PostAsJsonAsync($"/api/w/{ws}/resources/update/{Path}", new { resource_type = "kafka", value = shown.GetProperty("value") }))
            roundTrip.EnsureSuccessStatusCode();
        Assert.Equal(password, Decrypt(await StoredPasswordAsync(ws), ws));

        using (var changed = await fixture.Api.Http.PostAsJsonAsync($"/api/w/{ws}/resources/update/{Path}", new { resource_type = "kafka", value = Sasl($"{SecretMarker.Prefix}new") }))
            changed.EnsureSuccessStatusCode();
        Assert.Equal($"{SecretMarker.Prefix}new", Decrypt(await StoredPasswordAsync(ws), ws));
        Assert.Equal(KafkaConnection.Redacted, (await fixture.Api.Http.GetFromJsonAsync<JsonElement>($"/api/w/{ws}/resources/get/{Path}"))
            .GetProperty("value").GetProperty("security").GetProperty("password").GetString());
    }

    [Fact]
    public async Task An_update_that_sends_the_secrets_elsewhere_must_carry_them_again()
    {
        var ws = $"sec-{Guid.NewGuid():N}"[..20];
        var password = $"{SecretMarker.Prefix}{Guid.NewGuid():N}";
        await fixture.Api.CreateWorkspaceAsync(ws);
        using (var create = await fixture.Api.Http.PostAsJsonAsync($"/api/w/{ws}/resources/create", new { path = Path, resource_type = "kafka", value = Sasl(password) }))
            create.EnsureSuccessStatusCode();

        // New brokers without the password: the stored one is not sent to them.
        var elsewhere = new { brokers = new[] { "attacker.example.com:9093" }, security = new { label = "SASL_SSL", mechanism = "SCRAM-SHA-512", username = "svc", password = KafkaConnection.Redacted } };
        using (var refused = await fixture.Api.Http.PostAsJsonAsync($"/api/w/{ws}/resources/update/{Path}", new { resource_type = "kafka", value = elsewhere }))
        {
            Assert.Equal(System.Net.HttpStatusCode.BadRequest, refused.StatusCode);
            var problem = await refused.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal("value.security.password", problem.GetProperty("field").GetString());
            Assert.Contains("brokers", problem.GetProperty("detail").GetString());
        }
        // So does a new CA, which would let whoever answers for the brokers' names read the password.
        var otherCa = new { brokers = new[] { "kafka-1:9093" }, security = new { label = "SASL_SSL", mechanism = "SCRAM-SHA-512", username = "svc",
            ca = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----" } };
        using (var refused = await fixture.Api.Http.PostAsJsonAsync($"/api/w/{ws}/resources/update/{Path}", new { resource_type = "kafka", value = otherCa }))
            Assert.Equal(System.Net.HttpStatusCode.BadRequest, refused.StatusCode);
        // So does another mechanism.
        var otherMechanism = new { brokers = new[] { "kafka-1:9093" }, security = new { label = "SASL_SSL", mechanism = "PLAIN", username = "svc" } };
        using (var refused = await fixture.Api.Http.PostAsJsonAsync($"/api/w/{ws}/resources/update/{Path}", new { resource_type = "kafka", value = otherMechanism }))
            Assert.Equal(System.Net.HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Equal(password, Decrypt(await StoredPasswordAsync(ws), ws));

        // With the password given again, the move is fine.
        var moved = new { brokers = new[] { "kafka-2:9093" }, security = new { label = "SASL_SSL", mechanism = "SCRAM-SHA-512", username = "svc", password = $"{SecretMarker.Prefix}moved" } };
        using (var accepted = await fixture.Api.Http.PostAsJsonAsync($"/api/w/{ws}/resources/update/{Path}", new { resource_type = "kafka", value = moved }))
            Assert.True(accepted.IsSuccessStatusCode, await accepted.Content.ReadAsStringAsync());
        Assert.Equal($"{SecretMarker.Prefix}moved", Decrypt(await StoredPasswordAsync(ws), ws));
    }

    [Fact]
    public async Task A_stored_ciphertext_is_bound_to_its_resource_and_never_accepted_as_input()
    {
        var ws = $"sec-{Guid.NewGuid():N}"[..20];
        await fixture.Api.CreateWorkspaceAsync(ws);
        using (var create = await fixture.Api.Http.PostAsJsonAsync($"/api/w/{ws}/resources/create", new { path = Path, resource_type = "kafka", value = Sasl($"{SecretMarker.Prefix}{Guid.NewGuid():N}") }))
            create.EnsureSuccessStatusCode();
        var ciphertext = await StoredPasswordAsync(ws);

        // Someone who read the stored value cannot plant it in a resource of theirs to have a silo use it.
        using (var planted = await fixture.Api.Http.PostAsJsonAsync($"/api/w/{ws}/resources/create", new { path = "u/test/planted", resource_type = "kafka", value = Sasl(ciphertext) }))
        {
            Assert.Equal(System.Net.HttpStatusCode.BadRequest, planted.StatusCode);
            Assert.Equal("value.security.password", (await planted.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("field").GetString());
        }
        // And sealed for this resource and field, it does not open for another one.
        var protector = fixture.Silo.Services.GetRequiredService<SecretProtector>();
        var moved = Assert.Throws<InvalidOperationException>(() => protector.Unprotect(ciphertext, SecretContext.Of(ws, "u/test/other", "password")));
        Assert.Contains("sealed for another resource or field", moved.Message);
        Assert.Throws<InvalidOperationException>(() => protector.Unprotect(ciphertext, SecretContext.Of(ws, Path, "key_password")));
    }

    [Theory]
    [InlineData("-kt/etc/shadow")]
    [InlineData("-kt@EXAMPLE.COM")]
    [InlineData("triggers@EXAMPLE.COM\n")]
    [InlineData("triggers@EXAMPLE.COM other@EXAMPLE.COM")]
    [InlineData("no-realm")]
    [InlineData("a/b/c@EXAMPLE.COM")]
    public async Task A_kerberos_principal_that_is_not_primary_instance_at_realm_is_refused(string principal)
    {
        var ws = $"sec-{Guid.NewGuid():N}"[..20];
        await fixture.Api.CreateWorkspaceAsync(ws);
        var value = new { brokers = new[] { "kafka-1:9093" }, security = new { label = "SASL_GSSAPI", kerberos_principal = principal, keytab_base64 = "BQIAAAAA" } };
        using var refused = await fixture.Api.Http.PostAsJsonAsync($"/api/w/{ws}/resources/create", new { path = Path, resource_type = "kafka", value });
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Equal("value.security.kerberos_principal", (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("field").GetString());
    }

    [Theory]
    [InlineData("/etc/shadow")]
    [InlineData("/etc/kafka-keytabs/../shadow")]
    [InlineData("relative/triggers.keytab")]
    public async Task A_keytab_path_outside_the_keytab_directory_is_refused(string keytabPath)
    {
        var ws = $"sec-{Guid.NewGuid():N}"[..20];
        await fixture.Api.CreateWorkspaceAsync(ws);
        var value = new { brokers = new[] { "kafka-1:9093" }, security = new { label = "SASL_GSSAPI", kerberos_principal = "triggers@EXAMPLE.COM", keytab_path = keytabPath } };
        using var refused = await fixture.Api.Http.PostAsJsonAsync($"/api/w/{ws}/resources/create", new { path = Path, resource_type = "kafka", value });
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, refused.StatusCode);
        var problem = await refused.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("value.security.keytab_path", problem.GetProperty("field").GetString());
        Assert.Contains("/etc/kafka-keytabs/", problem.GetProperty("detail").GetString());

        var inside = new { brokers = new[] { "kafka-1:9093" }, security = new { label = "SASL_GSSAPI", kerberos_principal = "triggers@EXAMPLE.COM", keytab_path = "/etc/kafka-keytabs/triggers.keytab" } };
        using var accepted = await fixture.Api.Http.PostAsJsonAsync($"/api/w/{ws}/resources/create", new { path = Path, resource_type = "kafka", value = inside });
        Assert.True(accepted.IsSuccessStatusCode, await accepted.Content.ReadAsStringAsync());
    }
}
