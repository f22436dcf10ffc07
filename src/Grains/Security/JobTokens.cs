using System.Buffers.Binary;
using System.Buffers.Text;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using Triggers.Jobs;
using Triggers.Jobs.Execution;
using Triggers.Tokens;

namespace Triggers.Security;

/// <summary>
/// Mints and reads job tokens (<see cref="JobToken"/>): <c>jt_</c> + base64url of the job's id, its run (attempt),
/// the expiry and an HMAC-SHA256 of those. Minting costs one HMAC and nothing is stored, so it adds nothing measurable
/// to a job; the check that the run is still going happens only when the token is used.
/// </summary>
public sealed class JobTokens(SecretProtector secrets, TimeProvider clock, IOptions<WorkerOptions> options)
{
    private const int IdSize = 16, RunSize = 4, ExpirySize = 8, MacSize = 16;
    private const int ClaimSize = IdSize + RunSize + ExpirySize;

    // Past the job's own timeout: the run is still recorded as running while its outcome is written.
    private static readonly TimeSpan Margin = TimeSpan.FromMinutes(1);

    private readonly byte[] _key = secrets.DeriveKey("orleans-triggers job tokens v1");

    /// <summary>What a job's token may do in its workspace; null when jobs get no token (<c>Workers:JobTokenRole=none</c>).</summary>
    public TokenRole? Role { get; } = ParseRole(options.Value.JobTokenRole);

    private static TokenRole? ParseRole(string name) => name.Trim().ToLowerInvariant() switch
    {
        "none" => null,
        "viewer" => TokenRole.Viewer,
        "operator" => TokenRole.Operator,
        "developer" => TokenRole.Developer,
        // Admin is for every workspace and the cluster's own routes; a job's token is for its workspace only.
        _ => throw new InvalidOperationException(
            $"Workers:JobTokenRole is '{name}'; it must be none, viewer, operator or developer (the role of a job's WM_TOKEN in its workspace)."),
    };

    /// <summary>A token for this run of <paramref name="job"/>, expiring after <paramref name="timeout"/>; null when jobs
    /// get none.</summary>
    public string? Mint(JobRecord job, TimeSpan timeout)
    {
        if (Role is null) return null;
        Span<byte> bytes = stackalloc byte[ClaimSize + MacSize];
        job.Id.TryWriteBytes(bytes[..IdSize]);
        BinaryPrimitives.WriteInt32BigEndian(bytes[IdSize..], job.Attempts);
        BinaryPrimitives.WriteInt64BigEndian(bytes[(IdSize + RunSize)..], (clock.GetUtcNow() + timeout + Margin).ToUnixTimeSeconds());
        Sign(bytes[..ClaimSize], bytes[ClaimSize..]);
        return JobToken.Prefix + Base64Url.EncodeToString(bytes);
    }

    /// <summary>The run a token names, when it was minted here (or by a silo with the same key) and has not expired.</summary>
    public (Guid JobId, int Run, DateTimeOffset ExpiresAt)? Read(string token)
    {
        if (!JobToken.Is(token)) return null;
        Span<byte> bytes = stackalloc byte[ClaimSize + MacSize];
        // Anything may arrive in an Authorization header: check the text first, as decoding throws on what is not base64url.
        var text = token.AsSpan(JobToken.Prefix.Length);
        if (!Base64Url.IsValid(text, out var length) || length != bytes.Length) return null;
        Base64Url.DecodeFromChars(text, bytes);
        Span<byte> mac = stackalloc byte[MacSize];
        Sign(bytes[..ClaimSize], mac);
        if (!CryptographicOperations.FixedTimeEquals(mac, bytes[ClaimSize..])) return null;
        var expiresAt = DateTimeOffset.FromUnixTimeSeconds(BinaryPrimitives.ReadInt64BigEndian(bytes[(IdSize + RunSize)..]));
        if (expiresAt <= clock.GetUtcNow()) return null;
        return (new Guid(bytes[..IdSize]), BinaryPrimitives.ReadInt32BigEndian(bytes[IdSize..]), expiresAt);
    }

    private void Sign(ReadOnlySpan<byte> claim, Span<byte> mac)
    {
        Span<byte> full = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(_key, claim, full);
        full[..MacSize].CopyTo(mac);
    }
}
