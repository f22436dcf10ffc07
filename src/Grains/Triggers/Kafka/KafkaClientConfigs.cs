using Confluent.Kafka;
using Triggers.Resources;

namespace Triggers.Triggers.Kafka;

/// <summary>Turns a stored Kafka resource into librdkafka client settings.</summary>
public static class KafkaClientConfigs
{
    /// <summary>
    /// Applies brokers and security to any client config (consumer, producer, admin). A Kerberos resource needs
    /// files of the client's own: pass the <see cref="KerberosFiles"/> made for this client's lifetime.
    /// </summary>
    public static T Apply<T>(T config, KafkaConnection connection, KerberosFiles? kerberos = null) where T : ClientConfig
    {
        config.BootstrapServers = string.Join(',', connection.Brokers);
        var security = connection.Security;
        config.SecurityProtocol = security.Label switch
        {
            KafkaSecurityLabel.Plaintext => SecurityProtocol.Plaintext,
            KafkaSecurityLabel.SaslPlaintext or KafkaSecurityLabel.SaslGssapi => SecurityProtocol.SaslPlaintext,
            KafkaSecurityLabel.Ssl => SecurityProtocol.Ssl,
            KafkaSecurityLabel.SaslSsl or KafkaSecurityLabel.SaslSslGssapi => SecurityProtocol.SaslSsl,
            _ => throw new ArgumentOutOfRangeException(nameof(connection), security.Label, "Unknown security label."),
        };
        if (security.Label is KafkaSecurityLabel.SaslPlaintext or KafkaSecurityLabel.SaslSsl)
        {
            config.SaslMechanism = security.Mechanism switch
            {
                "PLAIN" => SaslMechanism.Plain,
                "SCRAM-SHA-256" => SaslMechanism.ScramSha256,
                "SCRAM-SHA-512" => SaslMechanism.ScramSha512,
                KafkaConnection.OAuthBearer => SaslMechanism.OAuthBearer,
                _ => throw new ArgumentOutOfRangeException(nameof(connection), security.Mechanism, "Unknown SASL mechanism."),
            };
            if (config.SaslMechanism == SaslMechanism.OAuthBearer)
            {
                // librdkafka fetches and refreshes the token itself (client credentials grant) before each login.
                config.SaslOauthbearerMethod = SaslOauthbearerMethod.Oidc;
                config.SaslOauthbearerTokenEndpointUrl = security.OauthTokenEndpointUrl;
                config.SaslOauthbearerClientId = security.OauthClientId;
                config.SaslOauthbearerClientSecret = security.OauthClientSecret;
                config.SaslOauthbearerScope = security.OauthScope;
                if (security.OauthExtensions is { Count: > 0 } extensions)
                    config.SaslOauthbearerExtensions = string.Join(',', extensions.Select(e => $"{e.Key}={e.Value}"));
            }
            else
            {
                config.SaslUsername = security.Username;
                config.SaslPassword = security.Password;
            }
        }
        if (security.Label is KafkaSecurityLabel.SaslGssapi or KafkaSecurityLabel.SaslSslGssapi)
        {
            config.SaslMechanism = SaslMechanism.Gssapi;
            config.SaslKerberosServiceName = security.KerberosServiceName ?? "kafka";
            config.SaslKerberosPrincipal = security.KerberosPrincipal;
            if (kerberos is null)
                throw new ArgumentNullException(nameof(kerberos), "A Kerberos client needs its own KerberosFiles (ticket cache).");
            config.SaslKerberosKeytab = kerberos.KeytabPath;
            config.SaslKerberosKinitCmd = kerberos.KinitCommand(security.KerberosPrincipal!);
            // The plugin before its property: librdkafka knows the property only once the plugin is loaded.
            config.PluginLibraryPaths = Native.TicketCachePlugin.Path;
            config.Set(Native.TicketCachePlugin.Property, kerberos.TicketCache);
        }
        if (config.SecurityProtocol is SecurityProtocol.Ssl or SecurityProtocol.SaslSsl)
        {
            config.SslCaPem = security.Ca;
            config.SslCertificatePem = security.Certificate;
            config.SslKeyPem = security.Key;
            config.SslKeyPassword = security.KeyPassword;
        }
        return config;
    }

    /// <summary>
    /// For a Kerberos resource, checks what a client needs before it starts: a librdkafka build with GSSAPI, a
    /// readable keytab, and a kinit that works. Each failure says what to fix, with kinit's own words.
    /// </summary>
    public static void CheckKerberos(ClientConfig config, KafkaConnection connection)
    {
        if (connection.Security.Label is not (KafkaSecurityLabel.SaslGssapi or KafkaSecurityLabel.SaslSslGssapi)) return;
        Native.Librdkafka.RequireGssapi();
        Native.TicketCachePlugin.Require();
        if (config.SaslKerberosKeytab is not { Length: > 0 } keytab) return;
        KerberosFiles.RequireReadable(keytab);
        KerberosLogin.Check(keytab, config.SaslKerberosPrincipal!, config.Get(Native.TicketCachePlugin.Property)!);
    }
}
