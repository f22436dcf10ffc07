namespace Triggers.Tokens;

/// <summary>
/// A running job's own API token (Windmill's <c>WM_TOKEN</c>): a role in the job's workspace (<c>developer</c> unless
/// <c>Workers:JobTokenRole</c> says otherwise), valid only while that run of the job is running. It is not stored: it
/// carries the job's id, run and expiry, signed with a key every silo derives from <c>Secrets:Key</c>.
/// </summary>
public static class JobToken
{
    /// <summary>How a job token begins; API tokens are hex, so they never do.</summary>
    public const string Prefix = "jt_";

    public static bool Is(string token) => token.StartsWith(Prefix, StringComparison.Ordinal);
}

/// <summary>Checks job tokens against the job store (any silo answers).</summary>
[Alias("Triggers.IJobTokensGrain")]
public interface IJobTokensGrain : IGrainWithIntegerKey
{
    /// <summary>What the token allows while its job runs; null when it is forged, expired, or its run has ended.</summary>
    [Orleans.Concurrency.ReadOnly]
    Task<ApiToken?> ResolveAsync(string token);
}
