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
}

/// <summary>
/// Encrypts resource secrets (passwords, private keys, keytabs) for storage with AES-256-GCM, so neither the
/// database nor a backup of it holds them in clear. Protected values read <c>enc:v1:</c> + base64(nonce, tag, ciphertext).
/// </summary>
public sealed class SecretProtector
{
    private const string Prefix = "enc:v1:";
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private readonly byte[] _key;

    public SecretProtector(IOptions<SecretsOptions> options, ILogger<SecretProtector> logger)
    {
        _key = options.Value.Key is { Length: > 0 } configured ? Decode(configured) : LoadOrCreateKeyFile(options.Value.KeyFile, logger);
    }

    /// <summary>A stored Kafka resource value with its secrets decrypted, ready for a client's configuration.</summary>
    public KafkaConnection RevealKafkaConnection(System.Text.Json.JsonElement stored) =>
        KafkaConnection.Parse(KafkaConnection.MapSecrets(stored, Unprotect));

    /// <summary>A Kafka resource value as it is stored: every secret encrypted.</summary>
    public System.Text.Json.JsonElement ProtectKafkaSecrets(System.Text.Json.JsonElement value) =>
        KafkaConnection.MapSecrets(value, Protect);

    public static bool IsProtected(string value) => value.StartsWith(Prefix, StringComparison.Ordinal);

    public string Protect(string plaintext)
    {
        if (IsProtected(plaintext)) return plaintext;
        var clear = Encoding.UTF8.GetBytes(plaintext);
        var sealedBytes = new byte[NonceSize + TagSize + clear.Length];
        var nonce = sealedBytes.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(_key, TagSize);
        aes.Encrypt(nonce, clear, sealedBytes.AsSpan(NonceSize + TagSize), sealedBytes.AsSpan(NonceSize, TagSize));
        return Prefix + Convert.ToBase64String(sealedBytes);
    }

    public string Unprotect(string stored)
    {
        if (!IsProtected(stored)) return stored;
        var sealedBytes = Convert.FromBase64String(stored[Prefix.Length..]);
        var clear = new byte[sealedBytes.Length - NonceSize - TagSize];
        using var aes = new AesGcm(_key, TagSize);
        try
        {
            aes.Decrypt(sealedBytes.AsSpan(0, NonceSize), sealedBytes.AsSpan(NonceSize + TagSize), sealedBytes.AsSpan(NonceSize, TagSize), clear);
        }
        catch (AuthenticationTagMismatchException)
        {
            throw new InvalidOperationException("A stored secret cannot be decrypted with this silo's key: every silo must use the same Secrets:Key.");
        }
        return Encoding.UTF8.GetString(clear);
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
