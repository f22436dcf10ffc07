using System.Net.Http.Json;
using Triggers.Tests.Infrastructure;
using Triggers.Triggers.Kafka.Development;

namespace Triggers.Tests.Security;

/// <summary>
/// Kerberos against a real MIT KDC: the silo gets a ticket with the resource's keytab, then meets the mock
/// broker's refusal of SASL (the mock has no SASL), and reports Kerberos failures with their text and a hint.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class KerberosTests(PostgresFixture postgres) : IAsyncLifetime
{
    private readonly MockKafkaCluster _kafka = new(brokers: 1);
    private readonly TestKdc _kdc = new();
    private readonly DirectoryInfo _tmp = Directory.CreateTempSubdirectory("silo-tmp-");
    private SiloProcess _silo = null!;
    private TriggersApiClient _api = null!;

    private string KerberosFolder => Path.Combine(_tmp.FullName, "orleans-triggers-kerberos");
    private string SiloDefaultCache => Path.Combine(_tmp.FullName, "krb5cc");

    public async Task InitializeAsync()
    {
        // The silo runs kinit through librdkafka with this realm's krb5.conf, and its own temporary folder.
        _silo = new SiloProcess(await postgres.CreateDatabaseAsync(), $"krb-{Guid.NewGuid():N}",
            new Dictionary<string, string>
            {
                ["KRB5_CONFIG"] = _kdc.Krb5Conf,
                ["KRB5CCNAME"] = $"FILE:{SiloDefaultCache}", // no ticket left over from another test; no client may use it
                ["TMPDIR"] = _tmp.FullName,
                ["Kerberos__KeytabDirectory"] = Path.Combine(_tmp.FullName, "mounted"),
            });
        await _silo.StartAsync();
        _api = _silo.CreateApiClient();
        await _api.CreateWorkspaceAsync("krb");
        await _api.CreateScriptAsync("krb", "u/ops/echo", "bun", "export async function main(payload: string) { return payload; }");
    }

    public async Task DisposeAsync()
    {
        await _silo.DisposeAsync();
        _kdc.Dispose();
        _kafka.Dispose();
        _tmp.Delete(recursive: true);
    }

    private async Task<string> TriggerErrorAsync(object security, string until, string? brokers = null)
    {
        var path = $"u/ops/k{Guid.NewGuid():N}"[..20];
        using (var resource = await _api.Http.PostAsJsonAsync("/api/w/krb/resources/create", new
        {
            path, resource_type = "kafka", value = new { brokers = (brokers ?? _kafka.BootstrapServers).Split(','), security },
        }))
            resource.EnsureSuccessStatusCode();
        await _api.CreateTriggerAsync("krb", new { path = $"{path}_trigger", script_path = "u/ops/echo", kafka_resource_path = path, topics = new[] { "orders" } });
        var trigger = await Eventually.WaitAsync(() => _api.GetTriggerAsync("krb", $"{path}_trigger"),
            t => ((string?)t["error"] ?? "").Contains(until, StringComparison.OrdinalIgnoreCase), TimeSpan.FromSeconds(30), $"an error mentioning {until} (silo output: {_silo.Output[^Math.Min(_silo.Output.Length, 3000)..]})");
        return (string)trigger["error"]!;
    }

    [Fact]
    public async Task A_base64_keytab_gets_a_ticket_and_the_failure_is_the_brokers_sasl_refusal_and_the_keytab_file_is_private_and_temporary()
    {
        var error = await TriggerErrorAsync(new { label = "SASL_GSSAPI", kerberos_principal = TestKdc.Principal, keytab_base64 = _kdc.KeytabBase64 }, "SASL");

        Assert.True(_kdc.Log.Contains("AS_REQ"), _kdc.Log + "\n---\n" + error);
        Assert.Contains($"ISSUE", _kdc.Log);
        Assert.Contains(TestKdc.Principal, _kdc.Log);
        Assert.DoesNotContain("kinit", error, StringComparison.OrdinalIgnoreCase);

        var keytab = Assert.Single(Directory.GetFiles(KerberosFolder, "*.keytab"));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keytab));
        Assert.Equal(await File.ReadAllBytesAsync(_kdc.KeytabPath), await File.ReadAllBytesAsync(keytab));

        var trigger = (await _api.Http.GetFromJsonAsync<List<System.Text.Json.Nodes.JsonObject>>("/api/w/krb/kafka_triggers/list"))!.Single();
        using (var disable = await _api.Http.PostAsJsonAsync($"/api/w/krb/kafka_triggers/setmode/{trigger["path"]}", new { mode = "disabled" }))
            disable.EnsureSuccessStatusCode();
        Assert.Empty(Directory.GetFiles(KerberosFolder, "*.keytab"));
        Assert.Empty(Directory.GetFiles(KerberosFolder, "*.ccache"));
    }

    [Fact]
    public async Task Triggers_with_different_principals_each_authenticate_from_a_ticket_cache_of_their_own()
    {
        using var broker = new GssapiBroker();
        var alice = _kdc.AddClient("alice");
        var bob = _kdc.AddClient("bob");

        // Each trigger gets to the broker's GSSAPI step and fails there: by then it has asked the KDC for the
        // broker's service ticket as whoever its cache says it is.
        foreach (var (name, keytab) in new[] { ("alice", alice), ("bob", bob) })
            await TriggerErrorAsync(new { label = "SASL_GSSAPI", kerberos_principal = $"{name}@{TestKdc.Realm}", keytab_base64 = keytab }, "GSSAPI token received", broker.BootstrapServer);

        foreach (var name in new[] { "alice", "bob" })
            Assert.Contains($"{name}@{TestKdc.Realm} for kafka/localhost@{TestKdc.Realm}", _kdc.Log);
        var caches = Directory.GetFiles(KerberosFolder, "*.ccache").Select(file => _kdc.List($"FILE:{file}")).ToList();
        Assert.Equal(2, caches.Count);
        foreach (var name in new[] { "alice", "bob" })
        {
            var cache = Assert.Single(caches, listing => listing.Contains($"Default principal: {name}@"));
            Assert.Contains($"kafka/localhost@{TestKdc.Realm}", cache); // the service ticket went into this trigger's own cache
        }
        Assert.False(File.Exists(SiloDefaultCache), "a Kerberos client wrote the silo's default ticket cache");
    }

    [Fact]
    public async Task The_connection_test_authenticates_from_a_ticket_cache_of_its_own_and_removes_it()
    {
        using var broker = new GssapiBroker();
        var keytab = _kdc.AddClient("carol");
        using var response = await _api.Http.PostAsJsonAsync("/api/w/krb/kafka_triggers/test", new
        {
            connection = new
            {
                brokers = new[] { broker.BootstrapServer },
                security = new { label = "SASL_GSSAPI", kerberos_principal = $"carol@{TestKdc.Realm}", keytab_base64 = keytab },
            },
        });
        var result = (await response.Content.ReadFromJsonAsync<System.Text.Json.Nodes.JsonObject>())!;

        Assert.False((bool)result["ok"]!);
        Assert.Contains("GSSAPI token received", result.ToJsonString()); // the broker's refusal: authentication got that far
        Assert.Contains($"carol@{TestKdc.Realm} for kafka/localhost@{TestKdc.Realm}", _kdc.Log);
        Assert.Empty(Directory.GetFiles(KerberosFolder, "*.ccache"));
        Assert.False(File.Exists(SiloDefaultCache), "the connection test wrote the silo's default ticket cache");
    }

    [Fact]
    public async Task A_principal_the_kdc_does_not_know_reports_kinits_error_with_a_hint()
    {
        var error = await TriggerErrorAsync(new { label = "SASL_GSSAPI", kerberos_principal = $"nobody@{TestKdc.Realm}", keytab_base64 = _kdc.KeytabBase64 }, "Hint");
        Assert.Contains("kinit", error, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("kerberos_principal", error);
    }

    [Fact]
    public async Task An_unreachable_kdc_is_reported_in_kinits_words_with_a_hint()
    {
        _kdc.Stop();
        var error = await TriggerErrorAsync(new { label = "SASL_GSSAPI", kerberos_principal = TestKdc.Principal, keytab_base64 = _kdc.KeytabBase64 }, "Hint");
        Assert.Contains("Cannot contact any KDC", error);
        Assert.Contains("krb5.conf", error);
    }

    [Fact]
    public async Task An_unreadable_keytab_path_names_the_file_and_the_fix()
    {
        var missing = Path.Combine(_tmp.FullName, "mounted", "triggers.keytab");
        var error = await TriggerErrorAsync(new { label = "SASL_GSSAPI", kerberos_principal = TestKdc.Principal, keytab_path = missing }, missing);
        Assert.Contains("keytab_base64", error);
    }
}
