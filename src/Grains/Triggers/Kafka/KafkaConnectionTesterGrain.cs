using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Confluent.Kafka;
using Orleans.Concurrency;
using Triggers.Validation;

namespace Triggers.Triggers.Kafka;

[StatelessWorker]
public sealed class KafkaConnectionTesterGrain(KafkaConnections connections, BrokerAddressPolicy addresses) : Grain, IKafkaConnectionTesterGrain
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(10);

    // Metadata is asked for in attempts of this length, so that a refused login or certificate ends the test at once
    // instead of after the whole limit (librdkafka goes on retrying them until the call's timeout).
    private static readonly TimeSpan Attempt = TimeSpan.FromSeconds(1);

    public async Task<KafkaConnectionTest> TestAsync(string workspaceId, string? resourcePath, JsonElement? inlineValue)
    {
        KafkaConnection connection;
        if (resourcePath is not null)
        {
            Names.RequirePath(resourcePath, "connection.kafka_resource_path");
            const string field = "connection.kafka_resource_path";
            try { connection = await connections.ResolveAsync(workspaceId, resourcePath, field); }
            catch (NotFoundException e) { throw new InvalidInputException(field, e.Message); }
        }
        else if (inlineValue is { } value)
        {
            connection = KafkaConnection.Parse(value, "connection");
        }
        else
        {
            throw new InvalidInputException("connection", "Give {\"kafka_resource_path\": \"u/me/kafka\"} or an inline {\"brokers\": [...], \"security\": {...}}.");
        }
        await RefuseForbiddenAddressesAsync(connection, resourcePath is null ? "connection" : "connection.kafka_resource_path");
        // librdkafka blocks while it connects: keep that off the grain's scheduler.
        return await Task.Run(() => Test(connection));
    }

    /// <summary>The brokers and the OAuth token endpoint, checked before anything connects (<see cref="BrokerAddressPolicy"/>).</summary>
    private async Task RefuseForbiddenAddressesAsync(KafkaConnection connection, string field)
    {
        foreach (var broker in connection.Brokers)
            if (await addresses.RefusalAsync(broker) is { } refusal) throw new InvalidInputException(field == "connection" ? "connection.brokers" : field, refusal);
        if (Uri.TryCreate(connection.Security.OauthTokenEndpointUrl, UriKind.Absolute, out var endpoint)
            && await addresses.RefusalAsync(endpoint.Host, endpoint.Port) is { } endpointRefusal)
            throw new InvalidInputException(field == "connection" ? "connection.security.oauth_token_endpoint_url" : field, endpointRefusal);
    }

    private static KafkaConnectionTest Test(KafkaConnection connection)
    {
        var stopwatch = Stopwatch.StartNew();
        var errors = new ConcurrentQueue<Error>();
        try
        {
            using var kerberos = KerberosFiles.For(connection.Security);
            var config = KafkaClientConfigs.Apply(new AdminClientConfig { SocketTimeoutMs = (int)Limit.TotalMilliseconds }, connection, kerberos);
            KafkaClientConfigs.CheckKerberos(config, connection);
            using var admin = new AdminClientBuilder(config)
                .SetErrorHandler((_, error) => errors.Enqueue(error))
                .SetLogHandler((_, _) => { })
                .Build();
            var metadata = GetMetadata(admin, errors, stopwatch);
            return new KafkaConnectionTest
            {
                Ok = true,
                Brokers = metadata.Brokers.Select(b => $"{b.Host}:{b.Port} (id {b.BrokerId})").ToList(),
                Topics = metadata.Topics.Where(t => !t.Topic.StartsWith("__", StringComparison.Ordinal)).Select(t => t.Topic).Order().ToList(),
                ElapsedMs = stopwatch.ElapsedMilliseconds,
            };
        }
        catch (Exception e) when (e is KafkaException or InvalidOperationException)
        {
            // The client's own error callbacks name the cause (TLS, SASL, Kerberos); the exception often only says "timed out".
            var cause = errors.FirstOrDefault(er => er.Code != Confluent.Kafka.ErrorCode.Local_AllBrokersDown)?.Reason ?? (e as KafkaException)?.Error.Reason ?? e.Message;
            var kind = Classify(cause);
            return new KafkaConnectionTest { Ok = false, ErrorKind = kind, Error = Describe(kind, cause), ElapsedMs = stopwatch.ElapsedMilliseconds };
        }
    }

    private static Metadata GetMetadata(IAdminClient admin, ConcurrentQueue<Error> errors, Stopwatch stopwatch)
    {
        while (true)
        {
            try { return admin.GetMetadata(Attempt); }
            catch (KafkaException) when (stopwatch.Elapsed + Attempt < Limit && !errors.Any(Refused)) { }
        }
    }

    /// <summary>An error no retry within the test mends: the broker refused the credentials or the certificate.</summary>
    private static bool Refused(Error error) => error.Code is Confluent.Kafka.ErrorCode.Local_Authentication or Confluent.Kafka.ErrorCode.SaslAuthenticationFailed or Confluent.Kafka.ErrorCode.Local_Ssl;

    /// <summary>What the test answers about a failure. Where the far side may not be a broker at all (nothing answered,
    /// or something that does not speak Kafka), only the kind: the client's own words would repeat what the far side
    /// sent (a "response size" that is its first bytes), which would make the test a way to read other services' banners.</summary>
    private static string Describe(string kind, string cause) => kind switch
    {
        "unreachable" => "No broker answered at these addresses within the time limit (refused, unresolvable or timed out). Check the brokers' host names and ports, and that this cluster's network reaches them.",
        "other" => "Something answered, but not as a Kafka broker this client can talk to (wrong port or protocol, or a security label the broker does not expect).",
        _ => KerberosHints.Explain(cause),
    };

    private static string Classify(string reason)
    {
        bool Has(string text) => reason.Contains(text, StringComparison.OrdinalIgnoreCase);
        if (Has("certificate verify") || Has("certificate_verify") || Has("unable to get local issuer")) return "certificate_verification";
        if (Has("kinit") || Has("kerberos") || Has("gssapi")) return "kerberos";
        if (Has("SASL") || Has("authentication")) return "sasl"; // before TLS: a refused SASL handshake says "handshake"
        if (Has("SSL") || Has("TLS") || Has("handshake")) return "tls_handshake";
        if (Has("refused") || Has("resolve") || Has("timed out") || Has("down") || Has("Connect to") || Has("transport")) return "unreachable";
        return "other";
    }
}
