using System.Text.Json;
using System.Text.Json.Serialization;
using Triggers.Validation;
using Triggers.Serialization;

namespace Triggers.Triggers.Kafka;

[JsonConverter(typeof(NamedEnumConverter<KafkaSecurityLabel>))]
public enum KafkaSecurityLabel
{
    [JsonStringEnumMemberName("PLAINTEXT")] Plaintext,
    [JsonStringEnumMemberName("SASL_PLAINTEXT")] SaslPlaintext,
    [JsonStringEnumMemberName("SSL")] Ssl,
    [JsonStringEnumMemberName("SASL_SSL")] SaslSsl,
    [JsonStringEnumMemberName("SASL_GSSAPI")] SaslGssapi,
    [JsonStringEnumMemberName("SASL_SSL_GSSAPI")] SaslSslGssapi,
}

/// <summary>How to authenticate and encrypt; which fields matter depends on <see cref="Label"/>.</summary>
[GenerateSerializer, Alias("Triggers.KafkaSecurity")]
public sealed record KafkaSecurity
{
    [Id(0)] public KafkaSecurityLabel Label { get; init; } = KafkaSecurityLabel.Plaintext;
    [Id(1)] public string? Mechanism { get; init; }
    [Id(2)] public string? Username { get; init; }
    [Id(3)] public string? Password { get; init; }
    [Id(4)] public string? Ca { get; init; }
    [Id(5)] public string? Certificate { get; init; }
    [Id(6)] public string? Key { get; init; }
    [Id(7)] public string? KeyPassword { get; init; }
    [Id(8)] public string? KerberosServiceName { get; init; }
    [Id(9)] public string? KerberosPrincipal { get; init; }
    [Id(10)] public string? KeytabPath { get; init; }
    [Id(11)] public string? KeytabBase64 { get; init; }
    /// <summary>OAUTHBEARER with OIDC client credentials: where the token comes from (an http(s) URL) and as whom.</summary>
    [Id(12)] public string? OauthTokenEndpointUrl { get; init; }
    [Id(13)] public string? OauthClientId { get; init; }
    [Id(14)] public string? OauthClientSecret { get; init; }
    [Id(15)] public string? OauthScope { get; init; }
    /// <summary>SASL extensions sent with the token (e.g. Confluent Cloud's <c>logicalCluster</c> and <c>identityPoolId</c>).</summary>
    [Id(16)] public IReadOnlyDictionary<string, string>? OauthExtensions { get; init; }
}

/// <summary>The value of a resource of type <c>kafka</c>.</summary>
[GenerateSerializer, Alias("Triggers.KafkaConnection")]
public sealed partial record KafkaConnection
{
    public const string ResourceType = "kafka";

    [Id(0)] public IReadOnlyList<string> Brokers { get; init; } = [];
    [Id(1)] public KafkaSecurity Security { get; init; } = new();

    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    private static readonly string[] SaslMechanisms = ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", OAuthBearer];

    public const string OAuthBearer = "OAUTHBEARER";

    /// <summary>Reads and validates a resource value; the exception names the offending field.</summary>
    public static KafkaConnection Parse(JsonElement value, string field = "value")
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw new InvalidInputException(field, "A kafka resource value must be an object: {\"brokers\": [\"host:port\"], \"security\": {\"label\": \"PLAINTEXT\"}}.");
        KafkaConnection? connection;
        try { connection = value.Deserialize<KafkaConnection>(Json); }
        catch (JsonException e)
        {
            var at = string.IsNullOrEmpty(e.Path) ? field : $"{field}{e.Path.TrimStart('$')}";
            throw new InvalidInputException(at, $"The kafka resource value is malformed at {at}: {e.Message}");
        }
        connection!.Validate(field);
        return connection;
    }

    /// <summary>A broker address's host (brackets of an IPv6 literal removed) and port, or null when it is not <c>host:port</c>.</summary>
    public static (string Host, int Port)? SplitBroker(string? broker)
    {
        var colon = broker?.LastIndexOf(':') ?? -1;
        return colon > 0 && int.TryParse(broker![(colon + 1)..], out var port) && port is >= 1 and <= 65535
            ? (broker[..colon].Trim('[', ']'), port)
            : null;
    }

    public void Validate(string field = "value")
    {
        if (Brokers is null || Brokers.Count == 0)
            throw new InvalidInputException($"{field}.brokers", "List at least one broker as \"host:port\".");
        foreach (var broker in Brokers)
            if (SplitBroker(broker) is null)
                throw new InvalidInputException($"{field}.brokers", $"'{broker}' is not a broker address: use \"host:port\".");
        var security = Security ?? throw new InvalidInputException($"{field}.security", "security is required, e.g. {\"label\": \"PLAINTEXT\"}.");
        var at = $"{field}.security";
        switch (security.Label)
        {
            case KafkaSecurityLabel.SaslPlaintext or KafkaSecurityLabel.SaslSsl:
                if (security.Mechanism is null || !SaslMechanisms.Contains(security.Mechanism))
                    throw new InvalidInputException($"{at}.mechanism", $"mechanism must be one of {string.Join(", ", SaslMechanisms)}.");
                if (security.Mechanism == OAuthBearer) ValidateOAuth(security, at);
                else
                {
                    Require(security.Username, $"{at}.username");
                    Require(security.Password, $"{at}.password");
                }
                break;
            case KafkaSecurityLabel.SaslGssapi or KafkaSecurityLabel.SaslSslGssapi:
                Require(security.KerberosPrincipal, $"{at}.kerberos_principal");
                // It reaches kinit as an argument: nothing that could read as an option or hold a second name.
                if (!KerberosPrincipal().IsMatch(security.KerberosPrincipal!))
                    throw new InvalidInputException($"{at}.kerberos_principal",
                        $"'{security.KerberosPrincipal}' is not a Kerberos principal: write primary[/instance]@REALM, e.g. triggers@EXAMPLE.COM or kafka-client/host.example.com@EXAMPLE.COM.");
                if (string.IsNullOrEmpty(security.KeytabPath) == string.IsNullOrEmpty(security.KeytabBase64))
                    throw new InvalidInputException($"{at}.keytab_path", "Give exactly one of keytab_path (a file mounted on the silo) or keytab_base64 (base64 -w0 of the keytab).");
                if (security.KeytabBase64 is { } keytab && !IsEncrypted(keytab) && !IsBase64(keytab))
                    throw new InvalidInputException($"{at}.keytab_base64", "keytab_base64 is not valid base64: encode the keytab with base64 -w0 /path/to/keytab.");
                break;
        }
        RequirePem(security.Ca, "CERTIFICATE", $"{at}.ca");
        RequirePem(security.Certificate, "CERTIFICATE", $"{at}.certificate");
        RequirePem(security.Key, "PRIVATE KEY", $"{at}.key");
    }

    /// <summary>OIDC client credentials: an absolute http(s) token endpoint, a client id and secret, and extensions
    /// that fit librdkafka's <c>key=value,…</c> list (RFC 7628: alphabetic keys; values without commas).</summary>
    private static void ValidateOAuth(KafkaSecurity security, string at)
    {
        Require(security.OauthTokenEndpointUrl, $"{at}.oauth_token_endpoint_url");
        if (!Uri.TryCreate(security.OauthTokenEndpointUrl, UriKind.Absolute, out var endpoint) || endpoint.Scheme is not ("https" or "http"))
            throw new InvalidInputException($"{at}.oauth_token_endpoint_url",
                $"'{security.OauthTokenEndpointUrl}' is not an http(s) URL; give the identity provider's token endpoint, e.g. https://login.example.com/oauth2/token.");
        Require(security.OauthClientId, $"{at}.oauth_client_id");
        Require(security.OauthClientSecret, $"{at}.oauth_client_secret");
        foreach (var (key, value) in security.OauthExtensions ?? new Dictionary<string, string>())
        {
            if (key.Length == 0 || !key.All(char.IsAsciiLetter) || key == "auth")
                throw new InvalidInputException($"{at}.oauth_extensions", $"Extension name '{key}' must be ASCII letters only (and not \"auth\").");
            if (string.IsNullOrEmpty(value) || value.Contains(',') || value.Contains('='))
                throw new InvalidInputException($"{at}.oauth_extensions", $"Extension '{key}' needs a value without ',' or '='.");
        }
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"\A[A-Za-z0-9._][A-Za-z0-9._-]*(/[A-Za-z0-9._-]+)?@[A-Za-z0-9._-]+\z")]
    private static partial System.Text.RegularExpressions.Regex KerberosPrincipal();

    private static bool IsEncrypted(string value) => value.StartsWith("enc:v", StringComparison.Ordinal);

    private static bool IsBase64(string value) => Convert.TryFromBase64String(value, new byte[value.Length], out var written) && written > 0;

    /// <summary>Certificates and keys are PEM text: the whole "-----BEGIN …-----" block, not a file path.</summary>
    private static void RequirePem(string? value, string kind, string field)
    {
        if (string.IsNullOrEmpty(value) || value == Redacted || IsEncrypted(value)) return;
        if (!value.Contains("-----BEGIN", StringComparison.Ordinal) || !value.Contains(kind, StringComparison.Ordinal) || !value.Contains("-----END", StringComparison.Ordinal))
            throw new InvalidInputException(field, $"{field} must be PEM text containing a \"-----BEGIN ...{kind}-----\" block (paste the file's content, not its path).");
    }

    private static void Require(string? value, string field)
    {
        if (string.IsNullOrEmpty(value)) throw new InvalidInputException(field, $"{field} is required for this security mode.");
    }

    /// <summary>
    /// The value to store for an update: a secret the request leaves out, or sends back as the redaction
    /// marker, keeps its stored value, so editing a resource does not mean retyping its password.
    /// </summary>
    /// <remarks>
    /// Only while the secrets go where they went before: an update that changes the brokers, the security label, the
    /// SASL mechanism, the OAuth token endpoint or the CA must carry them again, or a stored password would be sent to whatever host the update names.
    /// </remarks>
    /// <exception cref="InvalidInputException">The destination changed and a stored secret was left out.</exception>
    public static JsonElement KeepStoredSecrets(JsonElement update, JsonElement stored)
    {
        if (update.ValueKind != JsonValueKind.Object || stored.ValueKind != JsonValueKind.Object) return update;
        var node = System.Text.Json.Nodes.JsonNode.Parse(update.GetRawText())!.AsObject();
        if (node["security"] is not System.Text.Json.Nodes.JsonObject security
            || !stored.TryGetProperty("security", out var storedSecurity) || storedSecurity.ValueKind != JsonValueKind.Object)
            return update;
        var kept = SecretFields.Where(secret =>
            (security[secret] is null || (security[secret] is System.Text.Json.Nodes.JsonValue v && v.TryGetValue<string>(out var text) && text == Redacted))
            && storedSecurity.TryGetProperty(secret, out _)).ToList();
        if (kept.Count == 0) return update;
        if (ChangedDestination(node, security, stored, storedSecurity) is { } changed)
            throw new InvalidInputException($"value.security.{kept[0]}",
                $"The update changes {changed}, so the stored {string.Join(" and ", kept)} would go somewhere new: send {(kept.Count == 1 ? "it" : "them")} again with the update.");
        foreach (var secret in kept)
            security[secret] = System.Text.Json.Nodes.JsonNode.Parse(storedSecurity.GetProperty(secret).GetRawText());
        return JsonSerializer.SerializeToElement(node);
    }

    /// <summary>What of brokers, security label and mechanism the update changes, in words; null when none.</summary>
    private static string? ChangedDestination(System.Text.Json.Nodes.JsonObject update, System.Text.Json.Nodes.JsonObject security, JsonElement stored, JsonElement storedSecurity)
    {
        var changes = new List<string>();
        var storedBrokers = stored.TryGetProperty("brokers", out var b) ? b.GetRawText() : "null";
        if (!JsonElement.DeepEquals(JsonSerializer.SerializeToElement(update["brokers"]), JsonDocument.Parse(storedBrokers).RootElement)) changes.Add("brokers");
        // Where a secret goes: the brokers, how they are reached, the token endpoint an OAuth secret is sent to, and the
        // authority that vouches for the brokers (a new CA lets whoever answers for the brokers' names read the password).
        foreach (var (field, ignoreCase) in new[] { ("label", true), ("mechanism", true), ("oauth_token_endpoint_url", false), ("ca", false) })
        {
            var before = storedSecurity.TryGetProperty(field, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
            var after = security[field] is System.Text.Json.Nodes.JsonValue given && given.TryGetValue<string>(out var text) ? text : null;
            if (!string.Equals(before, after, ignoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal)) changes.Add(field);
        }
        return changes.Count == 0 ? null : string.Join(" and ", changes);
    }

    /// <summary>Refuses secrets given in their stored, encrypted form: a ciphertext is never input, so one that arrives
    /// was copied from somewhere it should not have been read.</summary>
    /// <exception cref="InvalidInputException">A secret field holds an <c>enc:</c> value.</exception>
    public static void RejectCiphertexts(JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Object || !value.TryGetProperty("security", out var security) || security.ValueKind != JsonValueKind.Object) return;
        foreach (var secret in SecretFields)
            if (security.TryGetProperty(secret, out var given) && given.ValueKind == JsonValueKind.String && IsEncrypted(given.GetString()!))
                throw new InvalidInputException($"value.security.{secret}",
                    $"{secret} holds a stored ciphertext (enc:...); send the secret itself, or leave it out (or send \"{Redacted}\") to keep the stored one.");
    }

    /// <summary>The same value with each secret replaced through <paramref name="transform"/> (field name, value).</summary>
    public static JsonElement MapSecrets(JsonElement value, Func<string, string, string> transform)
    {
        if (value.ValueKind != JsonValueKind.Object) return value;
        var node = System.Text.Json.Nodes.JsonNode.Parse(value.GetRawText())!.AsObject();
        if (node["security"] is System.Text.Json.Nodes.JsonObject security)
            foreach (var secret in SecretFields)
                if (security[secret] is System.Text.Json.Nodes.JsonValue v && v.TryGetValue<string>(out var text))
                    security[secret] = transform(secret, text);
        return JsonSerializer.SerializeToElement(node);
    }

    /// <summary>The same value with every secret replaced by a marker saying it is set.</summary>
    public static JsonElement Redact(JsonElement value) => MapSecrets(value, (_, _) => Redacted);

    public const string Redacted = "<redacted>";
    public static readonly string[] SecretFields = ["password", "key", "key_password", "keytab_base64", "oauth_client_secret"];
}
