using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

using Triggers.Triggers.Kafka;

namespace Triggers.Security;

/// <summary>Configuration section <c>Secrets</c>.</summary>
public sealed class SecretsOptions
{
    public const string Section = "Secrets";

    /// <summary>The AES-256 key (base64 of 32 bytes) every silo of a cluster shares.</summary>
    public string? Key { get; set; }

    /// <summary>Where a generated key is kept when no <see cref="Key"/> is configured (owner-only file).</summary>
    public string KeyFile { get; set; } = Path.Combine(".data", "secrets.key");

    /// <summary>Keys used before <see cref="Key"/>: they still decrypt, until <c>POST /api/secrets/reseal</c> has sealed
    /// everything with the current key and they can be dropped.</summary>
    public List<string> PreviousKeys { get; set; } = [];
}

/// <summary>
/// Encrypts resource secrets (passwords, private keys, keytabs) for storage with AES-256-GCM, so neither the
/// database nor a backup of it holds them in clear. Protected values read <c>enc:v2:</c> + base64(nonce, tag, ciphertext),
/// sealed to where they belong (workspace, resource path and field, as associated data): a ciphertext copied into another
/// resource, or another field, does not decrypt. <c>enc:v1:</c> values (before the binding) still decrypt, and are sealed
/// as v2 the next time their resource is saved.
/// </summary>
public sealed class SecretProtector
{
    private const string Prefix = "enc:v2:";
    private const string UnboundPrefix = "enc:v1:";
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private readonly byte[] _key;
    private readonly byte[][] _previousKeys;

    public SecretProtector(IOptions<SecretsOptions> options, ILogger<SecretProtector> logger)
    {
        _key = options.Value.Key is { Length: > 0 } configured ? Decode(configured) : LoadOrCreateKeyFile(options.Value.KeyFile, logger);
        _previousKeys = options.Value.PreviousKeys.Where(k => !string.IsNullOrWhiteSpace(k)).Select(Decode).ToArray();
    }

    /// <summary>A stored Kafka resource value with its secrets decrypted, ready for a client's configuration.</summary>
    public KafkaConnection RevealKafkaConnection(System.Text.Json.JsonElement stored, string workspaceId, string resourcePath) =>
        KafkaConnection.Parse(KafkaConnection.MapSecrets(stored, (field, value) => Unprotect(value, SecretContext.Of(workspaceId, resourcePath, field))));

    /// <summary>A Kafka resource value as it is stored: every secret encrypted for this resource and field (one that is
    /// already, because an update kept it, is sealed again, so old ciphertexts move to the current format).</summary>
    public System.Text.Json.JsonElement ProtectKafkaSecrets(System.Text.Json.JsonElement value, string workspaceId, string resourcePath) =>
        KafkaConnection.MapSecrets(value, (field, text) =>
        {
            var context = SecretContext.Of(workspaceId, resourcePath, field);
            return Protect(Unprotect(text, context), context);
        });

    /// <summary>A key for another purpose (<paramref name="purpose"/> names it), derived from the current key, so every
    /// silo of a cluster has it without another setting.</summary>
    public byte[] DeriveKey(string purpose) => HKDF.DeriveKey(HashAlgorithmName.SHA256, _key, 32, info: Encoding.UTF8.GetBytes(purpose));

    public static bool IsProtected(string value) =>
        value.StartsWith(Prefix, StringComparison.Ordinal) || value.StartsWith(UnboundPrefix, StringComparison.Ordinal);

    public string Protect(string plaintext, SecretContext context)
    {
        var clear = Encoding.UTF8.GetBytes(plaintext);
        var sealedBytes = new byte[NonceSize + TagSize + clear.Length];
        var nonce = sealedBytes.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(_key, TagSize);
        aes.Encrypt(nonce, clear, sealedBytes.AsSpan(NonceSize + TagSize), sealedBytes.AsSpan(NonceSize, TagSize), context.AssociatedData);
        return Prefix + Convert.ToBase64String(sealedBytes);
    }

    /// <summary>The secret <paramref name="stored"/> holds (itself when it is not encrypted).</summary>
    /// <exception cref="InvalidOperationException">It was sealed for another place, or with another key.</exception>
    public string Unprotect(string stored, SecretContext context)
    {
        var bound = stored.StartsWith(Prefix, StringComparison.Ordinal);
        if (!bound && !stored.StartsWith(UnboundPrefix, StringComparison.Ordinal)) return stored;
        var sealedBytes = Convert.FromBase64String(stored[Prefix.Length..]);
        var clear = new byte[sealedBytes.Length - NonceSize - TagSize];
        foreach (var key in _previousKeys.Prepend(_key))
        {
            using var aes = new AesGcm(key, TagSize);
            try
            {
                aes.Decrypt(sealedBytes.AsSpan(0, NonceSize), sealedBytes.AsSpan(NonceSize + TagSize), sealedBytes.AsSpan(NonceSize, TagSize), clear,
                    bound ? context.AssociatedData : null);
                return Encoding.UTF8.GetString(clear);
            }
            catch (AuthenticationTagMismatchException) { } // sealed with an older key, or not for this place
        }
        throw new InvalidOperationException(
            $"The stored {context.Field} of resource '{context.ResourcePath}' cannot be decrypted: it was sealed for another resource or field, " +
            "or with a key this silo does not have (every silo needs the same Secrets:Key, and Secrets:PreviousKeys during a rotation). " +
            "Save the resource again with the secret.");
    }

    private static byte[] Decode(string key)
    {
        var bytes = Convert.FromBase64String(key);
        return bytes.Length == 32 ? bytes : throw new InvalidOperationException("Secrets:Key must be the base64 of 32 random bytes (openssl rand -base64 32).");
    }

    // Nothing was stored with a key that was just generated, so a new one loses nothing.
    private static byte[] LoadOrCreateKeyFile(string path, ILogger logger) => Decode(GeneratedSecretFile.LoadOrCreate(path,
        () => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
        full => logger.LogWarning("Generated a key for stored secrets at {KeyFile}; set Secrets:Key on every silo of a cluster instead", full)));
}

/// <summary>Where a secret belongs: the associated data its ciphertext is sealed with.</summary>
public sealed record SecretContext(string WorkspaceId, string ResourcePath, string Field)
{
    public static SecretContext Of(string workspaceId, string resourcePath, string field) => new(workspaceId, resourcePath, field);

    public byte[] AssociatedData => Encoding.UTF8.GetBytes($"{WorkspaceId}\n{ResourcePath}\n{Field}");
}
