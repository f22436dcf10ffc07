using System.Buffers.Text;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Triggers.Jobs;
using Triggers.Jobs.Execution;
using Triggers.Jobs.Store;
using Triggers.Security;
using Triggers.Tokens;
using Xunit;

namespace Triggers.Tests.Security;

/// <summary>
/// What makes a job token (<c>WM_TOKEN</c>) good, against the real in-memory job store: signed with this cluster's key,
/// unchanged, unexpired, and naming the run of the job that is going on now.
/// </summary>
public sealed class JobTokenValidityTests
{
    private sealed class Clock : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = DateTimeOffset.UtcNow;
        public override DateTimeOffset GetUtcNow() => Now;
    }

    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);
    private readonly Clock _clock = new();

    private static SecretProtector Key(string? key = null) => new(
        Options.Create(new SecretsOptions { Key = key ?? Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)) }),
        NullLogger<SecretProtector>.Instance);

    private JobTokens Tokens(SecretProtector key, string role = "developer") =>
        new(key, _clock, Options.Create(new WorkerOptions { JobTokenRole = role }));

    private static JobRecord Job(int attempts = 1) => new() { Id = Guid.NewGuid(), WorkspaceId = "ws", ScriptPath = "u/t/s", Attempts = attempts };

    [Fact]
    public void A_token_is_read_back_only_as_minted_with_the_same_key_and_before_it_expires()
    {
        var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        var tokens = Tokens(Key(key));
        var job = Job(attempts: 2);
        var token = tokens.Mint(job, Timeout)!;

        Assert.StartsWith(JobToken.Prefix, token);
        Assert.Equal((job.Id, 2), tokens.Read(token) is var (id, run, _) ? (id, run) : default);
        // Another silo of the cluster (same Secrets:Key) reads it; another cluster does not.
        Assert.NotNull(Tokens(Key(key)).Read(token));
        Assert.Null(Tokens(Key()).Read(token));
        // Any changed byte of the job id, the run, the expiry or the signature, and any other length, is refused.
        var bytes = Base64Url.DecodeFromChars(token.AsSpan(JobToken.Prefix.Length));
        for (var i = 0; i < bytes.Length; i++)
        {
            var changed = (byte[])bytes.Clone();
            changed[i] ^= 0x01;
            Assert.Null(tokens.Read(JobToken.Prefix + Base64Url.EncodeToString(changed)));
        }
        Assert.Null(tokens.Read(token[..^1]));
        Assert.Null(tokens.Read(token + "A"));
        Assert.Null(tokens.Read(token[JobToken.Prefix.Length..]));
        Assert.Null(tokens.Read(token[..^3] + "!@#")); // not base64url at all: refused, not an exception (a 500)
        // It lasts the run's timeout and a minute more.
        _clock.Now += Timeout + TimeSpan.FromSeconds(59);
        Assert.NotNull(tokens.Read(token));
        _clock.Now += TimeSpan.FromSeconds(2);
        Assert.Null(tokens.Read(token));
    }

    [Fact]
    public async Task A_token_is_good_only_while_the_run_it_was_made_for_is_running()
    {
        var store = new InMemoryJobStore(new JobQueueSignal(), _clock);
        var tokens = Tokens(Key());
        var grain = new JobTokensGrain(tokens, store);
        var queued = Job(attempts: 0);
        await store.EnqueueAsync([queued]);

        var first = (await store.ClaimAsync("worker", Timeout, 1)).Single();
        var firstToken = tokens.Mint(first, Timeout)!;
        var allowed = await grain.ResolveAsync(firstToken);
        // The run fails and is retried: the second attempt's token works, the first one's no longer does.
        Assert.True(await store.RequeueAsync(first.Id, first.Claim, JobOutcomes.Failed(new JobError("E", "failed"), _clock.Now, _clock.Now), _clock.Now));
        var second = (await store.ClaimAsync("worker", Timeout, 1)).Single();
        var secondToken = tokens.Mint(second, Timeout)!;
        var firstDuringSecond = await grain.ResolveAsync(firstToken);
        var secondWhileRunning = await grain.ResolveAsync(secondToken);
        Assert.True(await store.CompleteAsync(second.Id, second.Claim, JobOutcomes.Failed(new JobError("E", "failed again"), _clock.Now, _clock.Now)));
        var secondAfterEnd = await grain.ResolveAsync(secondToken);

        Assert.NotNull(allowed);
        Assert.Equal(TokenRole.Developer, allowed.Role);
        Assert.Equal(["ws"], allowed.Workspaces!);
        Assert.Equal(2, second.Attempts);
        Assert.Null(firstDuringSecond);
        Assert.NotNull(secondWhileRunning);
        Assert.Null(secondAfterEnd);
        Assert.Null(await grain.ResolveAsync(tokens.Mint(Job(), Timeout)!)); // a job the store does not have
    }

    [Fact]
    public async Task Workers_JobTokenRole_sets_the_tokens_role_or_gives_jobs_none()
    {
        var store = new InMemoryJobStore(new JobQueueSignal(), _clock);
        await store.EnqueueAsync([Job(attempts: 0)]);
        var running = (await store.ClaimAsync("worker", Timeout, 1)).Single();
        var viewer = Tokens(Key(), "viewer");

        var resolved = await new JobTokensGrain(viewer, store).ResolveAsync(viewer.Mint(running, Timeout)!);

        Assert.Equal(TokenRole.Viewer, resolved!.Role);
        Assert.Null(Tokens(Key(), "none").Mint(running, Timeout));
        var refused = Assert.Throws<InvalidOperationException>(() => Tokens(Key(), "admin"));
        Assert.Contains("Workers:JobTokenRole", refused.Message);
    }
}
