using Confluent.Kafka;
using Triggers.Resources;
using Triggers.Triggers.Kafka;
using Triggers.Triggers.Kafka.Native;

namespace Triggers.Tests.Security;

/// <summary>Each security mode of a Kafka resource becomes the librdkafka settings that mode needs.</summary>
public sealed class ClientConfigMappingTests
{
    private const string Pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    private const string KeyPem = "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n";

    private static ClientConfig Map(KafkaSecurity security, KerberosFiles? kerberos = null) =>
        KafkaClientConfigs.Apply(new ClientConfig(), new KafkaConnection { Brokers = ["a:9092", "b:9092"], Security = security }, kerberos);

    [Fact]
    public void Plaintext_sets_only_the_brokers()
    {
        var config = Map(new KafkaSecurity());
        Assert.Equal("a:9092,b:9092", config.BootstrapServers);
        Assert.Equal(SecurityProtocol.Plaintext, config.SecurityProtocol);
        Assert.Null(config.SaslMechanism);
    }

    [Theory]
    [InlineData(KafkaSecurityLabel.SaslPlaintext, "PLAIN", SecurityProtocol.SaslPlaintext, SaslMechanism.Plain)]
    [InlineData(KafkaSecurityLabel.SaslPlaintext, "SCRAM-SHA-256", SecurityProtocol.SaslPlaintext, SaslMechanism.ScramSha256)]
    [InlineData(KafkaSecurityLabel.SaslPlaintext, "SCRAM-SHA-512", SecurityProtocol.SaslPlaintext, SaslMechanism.ScramSha512)]
    [InlineData(KafkaSecurityLabel.SaslSsl, "PLAIN", SecurityProtocol.SaslSsl, SaslMechanism.Plain)]
    [InlineData(KafkaSecurityLabel.SaslSsl, "SCRAM-SHA-256", SecurityProtocol.SaslSsl, SaslMechanism.ScramSha256)]
    [InlineData(KafkaSecurityLabel.SaslSsl, "SCRAM-SHA-512", SecurityProtocol.SaslSsl, SaslMechanism.ScramSha512)]
    public void Sasl_modes_set_the_protocol_mechanism_and_credentials(KafkaSecurityLabel label, string mechanism, SecurityProtocol protocol, SaslMechanism expected)
    {
        var config = Map(new KafkaSecurity { Label = label, Mechanism = mechanism, Username = "svc", Password = "pw", Ca = label == KafkaSecurityLabel.SaslSsl ? Pem : null });
        Assert.Equal(protocol, config.SecurityProtocol);
        Assert.Equal(expected, config.SaslMechanism);
        Assert.Equal(("svc", "pw"), (config.SaslUsername, config.SaslPassword));
        Assert.Equal(label == KafkaSecurityLabel.SaslSsl ? Pem : null, config.SslCaPem);
    }

    [Fact]
    public void Oauthbearer_fetches_its_token_by_oidc_client_credentials_with_scope_and_extensions()
    {
        var config = Map(new KafkaSecurity
        {
            Label = KafkaSecurityLabel.SaslSsl, Mechanism = "OAUTHBEARER", OauthTokenEndpointUrl = "https://idp/token", OauthClientId = "id",
            OauthClientSecret = "secret", OauthScope = "kafka", OauthExtensions = new Dictionary<string, string> { ["logicalCluster"] = "lkc-1", ["identityPoolId"] = "pool-2" },
        });
        Assert.Equal((SecurityProtocol.SaslSsl, SaslMechanism.OAuthBearer, SaslOauthbearerMethod.Oidc), (config.SecurityProtocol, config.SaslMechanism, config.SaslOauthbearerMethod));
        Assert.Equal(("https://idp/token", "id", "secret", "kafka"),
            (config.SaslOauthbearerTokenEndpointUrl, config.SaslOauthbearerClientId, config.SaslOauthbearerClientSecret, config.SaslOauthbearerScope));
        Assert.Equal("logicalCluster=lkc-1,identityPoolId=pool-2", config.SaslOauthbearerExtensions);
        Assert.Null(config.SaslUsername);
    }

    [Fact]
    public void Ssl_with_a_client_certificate_sets_the_pem_fields_for_mutual_tls()
    {
        var config = Map(new KafkaSecurity { Label = KafkaSecurityLabel.Ssl, Ca = Pem, Certificate = Pem, Key = KeyPem, KeyPassword = "kp" });
        Assert.Equal(SecurityProtocol.Ssl, config.SecurityProtocol);
        Assert.Equal((Pem, Pem, KeyPem, "kp"), (config.SslCaPem, config.SslCertificatePem, config.SslKeyPem, config.SslKeyPassword));
        Assert.Null(config.SaslMechanism);
    }

    [Theory]
    [InlineData(KafkaSecurityLabel.SaslGssapi, SecurityProtocol.SaslPlaintext)]
    [InlineData(KafkaSecurityLabel.SaslSslGssapi, SecurityProtocol.SaslSsl)]
    public void Kerberos_modes_use_gssapi_with_the_principal_the_default_service_name_and_the_keytab(KafkaSecurityLabel label, SecurityProtocol protocol)
    {
        var keytab = Path.GetTempFileName();
        try
        {
            var security = new KafkaSecurity { Label = label, KerberosPrincipal = "triggers@EXAMPLE.COM", KeytabPath = keytab };
            using var kerberos = KerberosFiles.For(security);
            var config = Map(security, kerberos);
            Assert.Equal(protocol, config.SecurityProtocol);
            Assert.Equal(SaslMechanism.Gssapi, config.SaslMechanism);
            Assert.Equal("kafka", config.SaslKerberosServiceName);
            Assert.Equal("triggers@EXAMPLE.COM", config.SaslKerberosPrincipal);
            Assert.Equal(keytab, config.SaslKerberosKeytab);
        }
        finally { File.Delete(keytab); }
    }

    [Fact]
    public void A_base64_keytab_becomes_an_owner_only_file_that_is_removed_afterwards()
    {
        var security = new KafkaSecurity
        {
            Label = KafkaSecurityLabel.SaslGssapi, KerberosPrincipal = "triggers@EXAMPLE.COM", KerberosServiceName = "brokers",
            KeytabBase64 = Convert.ToBase64String([5, 2, 0, 1, 2, 3]),
        };
        string path;
        using (var kerberos = KerberosFiles.For(security)!)
        {
            path = kerberos.KeytabPath;
            var config = Map(security, kerberos);
            Assert.Equal(path, config.SaslKerberosKeytab);
            Assert.Equal("brokers", config.SaslKerberosServiceName);
            Assert.Equal(new byte[] { 5, 2, 0, 1, 2, 3 }, File.ReadAllBytes(path));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void An_unreadable_keytab_path_is_an_error_naming_the_file_and_the_fix()
    {
        var missing = Path.Combine(Path.GetTempPath(), $"missing-{Guid.NewGuid():N}.keytab");
        var connection = new KafkaConnection { Brokers = ["a:9092"], Security = new KafkaSecurity { Label = KafkaSecurityLabel.SaslGssapi, KerberosPrincipal = "p@R", KeytabPath = missing } };
        using var kerberos = KerberosFiles.For(connection.Security);
        var error = Assert.Throws<InvalidOperationException>(() => KafkaClientConfigs.CheckKerberos(KafkaClientConfigs.Apply(new ClientConfig(), connection, kerberos), connection));
        Assert.Contains(missing, error.Message);
        Assert.Contains("keytab_base64", error.Message);
    }

    [Fact]
    public void Each_kerberos_client_has_its_own_ticket_cache_which_the_plugin_and_the_kinit_command_name()
    {
        var security = new KafkaSecurity { Label = KafkaSecurityLabel.SaslGssapi, KerberosPrincipal = "triggers@EXAMPLE.COM", KeytabBase64 = Convert.ToBase64String([5, 2]) };
        using var first = KerberosFiles.For(security)!;
        using var second = KerberosFiles.For(security)!;
        Assert.NotEqual(first.TicketCache, second.TicketCache);

        var config = Map(security, first);
        Assert.Equal(TicketCachePlugin.Path, config.PluginLibraryPaths);
        Assert.Equal(first.TicketCache, config.Get(TicketCachePlugin.Property));
        Assert.Equal(["-R", "-c", first.TicketCache, "-k", "-t", first.KeytabPath, "triggers@EXAMPLE.COM"], RunWithFakeKinit(config.SaslKerberosKinitCmd).First());
    }

    [Fact]
    public void The_kinit_command_passes_a_keytab_path_with_shell_characters_as_one_argument()
    {
        var keytab = """/etc/kafka-keytabs/it's $(touch pwned) `id`; \"x".keytab""";
        using var kerberos = KerberosFiles.For(new KafkaSecurity { Label = KafkaSecurityLabel.SaslGssapi, KerberosPrincipal = "p@R", KeytabPath = keytab })!;
        var runs = RunWithFakeKinit(kerberos.KinitCommand("p@R"));
        Assert.Equal(2, runs.Count); // the renewal fails, the login runs
        Assert.Equal(["-c", kerberos.TicketCache, "-k", "-t", keytab, "p@R"], runs[1]);
    }

    /// <summary>Runs librdkafka's kinit command line in a real shell with a kinit that records its arguments and fails
    /// a renewal (as when there is no ticket yet); returns each run's arguments.</summary>
    private static List<string[]> RunWithFakeKinit(string command)
    {
        var folder = Directory.CreateTempSubdirectory("fake-kinit-");
        try
        {
            var log = Path.Combine(folder.FullName, "runs");
            File.WriteAllText(Path.Combine(folder.FullName, "kinit"), $$"""
                #!/bin/sh
                for a in "$@"; do printf '%s\0' "$a" >> '{{log}}'; done; echo >> '{{log}}'
                [ "$1" != -R ]

                """);
            File.SetUnixFileMode(Path.Combine(folder.FullName, "kinit"), UnixFileMode.UserRead | UnixFileMode.UserExecute);
            var start = new System.Diagnostics.ProcessStartInfo("/bin/sh", ["-c", command]) { WorkingDirectory = folder.FullName };
            start.Environment["PATH"] = $"{folder.FullName}:/usr/bin:/bin";
            using (var shell = System.Diagnostics.Process.Start(start)!) shell.WaitForExit();
            Assert.False(File.Exists(Path.Combine(folder.FullName, "pwned")));
            return File.ReadAllLines(log).Select(line => line.Split('\0', StringSplitOptions.RemoveEmptyEntries)).ToList();
        }
        finally { folder.Delete(recursive: true); }
    }
}
