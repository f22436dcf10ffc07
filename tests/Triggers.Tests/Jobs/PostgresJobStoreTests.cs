using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using Triggers.Jobs;
using Triggers.Jobs.Store;
using Triggers.Extensions;
using Triggers.Silo.Storage;
using Triggers.Tests.Infrastructure;

namespace Triggers.Tests.Jobs;

/// <summary>The PostgreSQL job store against a real, freshly migrated database.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresJobStoreTests(PostgresFixture postgres) : IAsyncLifetime
{
    private NpgsqlDataSource _db = null!;
    private JobWriteBatcher _batcher = null!;
    private PostgresJobStore _store = null!;

    public async Task InitializeAsync()
    {
        var connectionString = await postgres.CreateDatabaseAsync();
        await new SchemaMigrator(connectionString, NullLogger<SchemaMigrator>.Instance).MigrateAsync(CancellationToken.None);
        _db = NpgsqlDataSource.Create(connectionString);
        _batcher = new JobWriteBatcher(_db, new JobQueueSignal(), NullLogger<JobWriteBatcher>.Instance);
        _store = new PostgresJobStore(_db, _batcher);
    }

    public async Task DisposeAsync()
    {
        await _batcher.DisposeAsync();
        await _db.DisposeAsync();
    }

    private static JobRecord NewJob(int n) => new()
    {
        Id = Guid.NewGuid(), WorkspaceId = "ws", ScriptPath = "u/a/script", ArgsJson = $$"""{"n": {{n}}}""",
        TriggerKind = "kafka", TriggerPath = "u/a/trigger", CreatedAt = DateTimeOffset.UtcNow,
    };

    [Fact]
    public async Task Enqueueing_the_same_ids_again_creates_nothing()
    {
        var jobs = Enumerable.Range(0, 50).Select(NewJob).ToList();
        Assert.Equal(50, await _store.EnqueueAsync(jobs));
        Assert.Equal(0, await _store.EnqueueAsync(jobs));
        Assert.Equal(10, await _store.EnqueueAsync([.. jobs.Take(5), .. Enumerable.Range(50, 10).Select(NewJob)]));
        Assert.Equal(60, (await _store.ListAsync(new JobQuery { WorkspaceId = "ws", PerPage = 1000 })).Count);
    }

    private const string Trigger = "kafka\nws\nt\ng";

    [Fact]
    public async Task Trigger_positions_are_stored_with_their_jobs_only_move_forward_and_can_be_forgotten()
    {
        var taken = await _store.TakePartitionsAsync(Trigger, ["orders\n0", "orders\n1"]);
        var other = await _store.TakePartitionsAsync("kafka\nws\nother\ng", ["orders\n0"]);
        Assert.Equal(new PartitionOwnership(0, 1), taken["orders\n0"]);
        var jobs = Enumerable.Range(0, 3).Select(NewJob).ToList();
        var created = await _store.EnqueueAsync(jobs, [new TriggerPosition(Trigger, "orders\n0", 10, 1), new TriggerPosition(Trigger, "orders\n1", 4, 1)]);
        Assert.Equal(jobs.Select(j => j.Id).ToHashSet(), created);
        // Concurrent writers of one trigger merge into one statement; a late, older position does not win.
        await Task.WhenAll(
            _store.EnqueueAsync([NewJob(3)], [new TriggerPosition(Trigger, "orders\n0", 12, 1)]),
            _store.EnqueueAsync([NewJob(4)], [new TriggerPosition(Trigger, "orders\n0", 7, 1)]),
            _store.EnqueueAsync([], [new TriggerPosition("kafka\nws\nother\ng", "orders\n0", 99, other["orders\n0"].Epoch)]));

        var positions = await _store.PositionsAsync(Trigger);
        Assert.Equal(new Dictionary<string, long> { ["orders\n0"] = 12, ["orders\n1"] = 4 }, positions);
        Assert.Equal(5, (await _store.ListAsync(new JobQuery { WorkspaceId = "ws", PerPage = 1000 })).Count);
        // The next owner learns where the stored jobs end as it takes the partition.
        Assert.Equal(new PartitionOwnership(12, 2), (await _store.TakePartitionsAsync(Trigger, ["orders\n0"]))["orders\n0"]);

        await _store.ForgetPositionsAsync(Trigger);
        Assert.All((await _store.PositionsAsync(Trigger)).Values, next => Assert.Equal(0, next));
        Assert.Equal(99, (await _store.PositionsAsync("kafka\nws\nother\ng"))["orders\n0"]);
    }

    [Fact]
    public async Task A_write_of_a_former_owner_is_refused_whole_and_moves_no_position_alone_or_merged_with_others()
    {
        await _store.TakePartitionsAsync(Trigger, ["orders\n0", "orders\n1"]); // the first owner: epoch 1
        await _store.EnqueueAsync([NewJob(0)], [new TriggerPosition(Trigger, "orders\n0", 5, 1)]);
        var next = await _store.TakePartitionsAsync(Trigger, ["orders\n0"]); // a second owner takes one partition
        Assert.Equal(new PartitionOwnership(5, 2), next["orders\n0"]);

        // The first owner's late write, the new owner's and a job of no trigger, merged into one statement.
        var late = NewJob(1);
        var current = NewJob(2);
        var unrelated = NewJob(3);
        var writes = new[]
        {
            _store.EnqueueAsync([late], [new TriggerPosition(Trigger, "orders\n0", 9, 1), new TriggerPosition(Trigger, "orders\n1", 3, 1)]),
            _store.EnqueueAsync([current], [new TriggerPosition(Trigger, "orders\n0", 7, 2)]),
            _store.EnqueueAsync([unrelated], []),
        };
        await Assert.ThrowsAsync<FencedWriteException>(() => writes[0]);
        Assert.Equal([current.Id], await writes[1]);
        Assert.Equal([unrelated.Id], await writes[2]);

        var stored = (await _store.ListAsync(new JobQuery { WorkspaceId = "ws", PerPage = 1000 })).Select(j => j.Id).ToHashSet();
        Assert.DoesNotContain(late.Id, stored);
        // Not even the partition the first owner still held moved: its jobs were not stored.
        Assert.Equal(new Dictionary<string, long> { ["orders\n0"] = 7, ["orders\n1"] = 0 }, await _store.PositionsAsync(Trigger));

        // One statement of merged writes, as the group commit makes under load: only the fenced write is left out.
        var (lateWrite, currentWrite) = (Guid.NewGuid(), Guid.NewGuid());
        var (lateJob, currentJob) = (NewJob(5), NewJob(6));
        var answered = new HashSet<Guid>();
        await using (var merged = JobRows.InsertQueued(_db, [lateJob, currentJob], [lateWrite, currentWrite],
                         [(new TriggerPosition(Trigger, "orders\n0", 20, 1), lateWrite), (new TriggerPosition(Trigger, "orders\n0", 8, 2), currentWrite)]))
        await using (var reader = await merged.ExecuteReaderAsync())
            while (await reader.ReadAsync()) answered.Add(reader.GetGuid(0));
        Assert.Equal(new HashSet<Guid> { currentJob.Id, lateWrite }, answered);
        Assert.Equal(8, (await _store.PositionsAsync(Trigger))["orders\n0"]);

        // A reset gives every partition its next epoch: the owner from before the reset is refused too.
        await _store.ForgetPositionsAsync(Trigger);
        await Assert.ThrowsAsync<FencedWriteException>(() => _store.EnqueueAsync([NewJob(4)], [new TriggerPosition(Trigger, "orders\n0", 8, 2)]));
    }

    [Fact]
    public async Task A_renamed_triggers_unfinished_jobs_move_to_its_new_path_and_finished_ones_stay()
    {
        var jobs = Enumerable.Range(0, 4).Select(NewJob).Append(NewJob(4) with { WorkspaceId = "other-ws" }).ToList();
        await _store.EnqueueAsync(jobs);
        var claimed = await _store.ClaimAsync("w1", TimeSpan.FromMinutes(5), 2);
        await _store.CompleteAsync(claimed[0].Id, claimed[0].Claim, new JobOutcome { Succeeded = true, StartedAt = DateTimeOffset.UtcNow, CompletedAt = DateTimeOffset.UtcNow, Logs = "" });

        await _store.MoveTriggerJobsAsync("ws", "u/a/trigger", "u/a/renamed");

        var paths = new Dictionary<Guid, string?>();
        foreach (var job in jobs) paths[job.Id] = (await _store.GetAsync(job.Id))!.TriggerPath;
        Assert.Equal("u/a/trigger", paths[claimed[0].Id]); // finished: keeps the path it ran under
        Assert.Equal("u/a/renamed", paths[claimed[1].Id]); // running
        Assert.Equal(2, jobs.Take(4).Count(j => paths[j.Id] == "u/a/renamed" && !claimed.Any(c => c.Id == j.Id))); // queued
        Assert.Equal("u/a/trigger", paths[jobs[4].Id]); // another workspace's trigger of the same path
    }

    [Fact]
    public async Task A_run_records_the_script_version_it_ran_and_a_later_run_replaces_it()
    {
        var job = NewJob(0);
        await _store.EnqueueAsync([job]);
        var first = Assert.Single(await _store.ClaimAsync("w1", TimeSpan.FromMinutes(5), 1));
        var now = DateTimeOffset.UtcNow;
        Assert.True(await _store.RequeueAsync(job.Id, first.Claim, new JobOutcome
        {
            Succeeded = false, Error = new JobError("Error", "boom"), StartedAt = now, CompletedAt = now, Logs = "", ScriptHash = "aaaaaaaaaaaaaaaa",
        }, now));
        Assert.Equal("aaaaaaaaaaaaaaaa", (await _store.GetAsync(job.Id))!.ScriptHash);

        var second = Assert.Single(await _store.ClaimAsync("w1", TimeSpan.FromMinutes(5), 1));
        Assert.True(await _store.CompleteAsync(job.Id, second.Claim, new JobOutcome
        {
            Succeeded = true, StartedAt = now, CompletedAt = now, Logs = "", ScriptHash = "bbbbbbbbbbbbbbbb",
        }));
        Assert.Equal("bbbbbbbbbbbbbbbb", (await _store.GetAsync(job.Id))!.ScriptHash);
    }

    [Fact]
    public async Task Ordered_jobs_are_claimed_one_at_a_time_per_order_key_and_a_rerun_waiting_for_its_time_holds_its_key()
    {
        var now = DateTimeOffset.UtcNow;
        var a1 = NewJob(1) with { OrderKey = "p0" };
        var a2 = NewJob(2) with { OrderKey = "p0" };
        var b1 = NewJob(3) with { OrderKey = "p1" };
        var b2 = NewJob(4) with { OrderKey = "p1" };
        var free = NewJob(5);
        await _store.EnqueueAsync([a1, a2, b1, b2, free]);

        var claimed = await _store.ClaimAsync("w1", TimeSpan.FromMinutes(5), 10);
        Assert.Equal([a1.Id, b1.Id, free.Id], claimed.Select(j => j.Id));
        Assert.Empty(await _store.ClaimAsync("w2", TimeSpan.FromMinutes(5), 10)); // a2 and b2 wait while a1 and b1 run

        var done = new JobOutcome { Succeeded = true, StartedAt = now, CompletedAt = now, Logs = "" };
        Assert.True(await _store.CompleteAsync(a1.Id, claimed[0].Claim, done));
        // b1 fails and waits a minute for its rerun: it still holds b2.
        Assert.True(await _store.RequeueAsync(b1.Id, claimed[1].Claim, done with { Succeeded = false, Error = new JobError("Error", "boom") }, now.AddMinutes(1)));
        Assert.Equal([a2.Id], (await _store.ClaimAsync("w2", TimeSpan.FromMinutes(5), 10)).Select(j => j.Id));
    }

    [Fact]
    public async Task Retention_removes_only_finished_jobs_completed_before_the_cutoff()
    {
        var now = DateTimeOffset.UtcNow;
        var jobs = Enumerable.Range(0, 20).Select(NewJob).ToList();
        await _store.EnqueueAsync(jobs);
        var claimed = await _store.ClaimAsync("w1", TimeSpan.FromMinutes(5), 18);
        async Task FinishAsync(IEnumerable<JobRecord> batch, TimeSpan age, bool succeeded) =>
            await Task.WhenAll(batch.Select(j => _store.CompleteAsync(j.Id, j.Claim, new JobOutcome
            {
                Succeeded = succeeded, Error = succeeded ? null : new JobError("Error", "boom"), StartedAt = now - age, CompletedAt = now - age, Logs = "",
            })));
        await FinishAsync(claimed.Take(8), TimeSpan.FromDays(40), succeeded: true);
        await FinishAsync(claimed.Skip(8).Take(4), TimeSpan.FromDays(31), succeeded: false);
        await FinishAsync(claimed.Skip(12).Take(5), TimeSpan.FromDays(2), succeeded: true);
        // Left: one job still running (claimed long ago) and two queued.

        var retention = new JobRetention(_store, Options.Create(new JobRetentionOptions()), TimeProvider.System, NullLogger<JobRetention>.Instance);
        Assert.Equal(12, await retention.SweepAsync(now.AddDays(-30), CancellationToken.None));

        var left = await _store.ListAsync(new JobQuery { WorkspaceId = "ws", PerPage = 1000 });
        Assert.Equal(8, left.Count);
        Assert.Equal(5, left.Count(j => j.Status == JobStatus.Success));
        Assert.Equal(1, left.Count(j => j.Status == JobStatus.Running));
        Assert.Equal(2, left.Count(j => j.Status == JobStatus.Queued));
        Assert.Equal(0, await retention.SweepAsync(now.AddDays(-30), CancellationToken.None));
    }

    [Fact]
    public async Task A_page_far_beyond_the_jobs_is_empty_rather_than_an_overflowed_offset()
    {
        await _store.EnqueueAsync(Enumerable.Range(0, 3).Select(NewJob).ToList());
        Assert.Empty(await _store.ListAsync(new JobQuery { WorkspaceId = "ws", Page = int.MaxValue, PerPage = JobQuery.MaxPerPage }));
        Assert.Equal(3, (await _store.ListAsync(new JobQuery { WorkspaceId = "ws", Page = 1, PerPage = JobQuery.MaxPerPage })).Count);
    }

    [Fact]
    public async Task Concurrent_enqueues_are_all_durable_and_claimed_in_order()
    {
        var batches = Enumerable.Range(0, 20).Select(b => Enumerable.Range(b * 100, 100).Select(NewJob).ToList()).ToList();
        var counts = await Task.WhenAll(batches.Select(b => _store.EnqueueAsync(b)));
        Assert.All(counts, c => Assert.Equal(100, c));

        // Each batch's jobs come out in the order they went in (a partition's offset order).
        var claimed = new List<JobRecord>();
        while (await _store.ClaimAsync("w1", TimeSpan.FromMinutes(1)) is { } job) claimed.Add(job);
        Assert.Equal(2000, claimed.Count);
        foreach (var batch in batches)
        {
            var ids = batch.Select(j => j.Id).ToHashSet();
            Assert.Equal(batch.Select(j => j.Id), claimed.Where(j => ids.Contains(j.Id)).Select(j => j.Id));
        }
        Assert.All(claimed, j => Assert.Equal((JobStatus.Running, 1), (j.Status, j.Attempts)));
    }

    [Fact]
    public async Task One_claim_takes_up_to_its_limit_in_queue_order_and_unclaimed_jobs_come_back_unchanged()
    {
        var jobs = Enumerable.Range(0, 10).Select(NewJob).ToList();
        await _store.EnqueueAsync(jobs);

        var first = await _store.ClaimAsync("w1", TimeSpan.FromMinutes(1), max: 4);
        Assert.Equal(jobs.Take(4).Select(j => j.Id), first.Select(j => j.Id));
        var rest = await _store.ClaimAsync("w2", TimeSpan.FromMinutes(1), max: 100);
        Assert.Equal(jobs.Skip(4).Select(j => j.Id), rest.Select(j => j.Id));

        // A stopping worker puts back what it never started: claimable again, its run count as before.
        await _store.UnclaimAsync([first[2].Id, first[3].Id], "w1");
        await _store.UnclaimAsync([rest[0].Id], "w1"); // not w1's claim: left alone
        var again = await _store.ClaimAsync("w3", TimeSpan.FromMinutes(1), max: 100);
        Assert.Equal([first[2].Id, first[3].Id], again.Select(j => j.Id));
        Assert.All(again, j => Assert.Equal(1, j.Attempts));
    }

    [Fact]
    public async Task Text_postgresql_refuses_is_stored_with_visible_replacements_in_merged_completions()
    {
        var jobs = Enumerable.Range(0, 20).Select(NewJob).ToList();
        await _store.EnqueueAsync(jobs);
        var claimed = await _store.ClaimAsync("w1", TimeSpan.FromMinutes(1), max: 20);
        var now = DateTimeOffset.UtcNow;
        // NUL in text and JSON, and lone surrogates raw and escaped: each of these is refused by PostgreSQL as it is.
        JobOutcome Run(int n) => n != 7
            ? new() { Succeeded = true, Logs = $"run {n}", StartedAt = now, CompletedAt = now }
            : new()
            {
                Succeeded = false, Logs = "a\0b \uD800c", StartedAt = now, CompletedAt = now,
                MainArgs = JsonDocument.Parse("""{"s": "x\u0000y", "lone": "\ud800", "pair": "\ud83d\ude00", "slash": "\\u0000"}""").RootElement,
                Error = new JobError("Error", "bad\0byte"),
            };

        // Submitted at once, so they are merged into shared statements.
        var recorded = await Task.WhenAll(claimed.Select((job, n) => _store.CompleteAsync(job.Id, job.Claim, Run(n))));

        Assert.All(recorded, Assert.True);
        var stored = (await _store.GetAsync(claimed[7].Id))!;
        Assert.Equal(JobStatus.Failure, stored.Status);
        Assert.Equal("a\u2400b \uFFFDc", stored.Logs);
        Assert.Equal("bad\u2400byte", stored.Error!.Message);
        var args = JsonDocument.Parse(stored.ArgsJson!).RootElement;
        Assert.Equal("x\u2400y", args.GetProperty("s").GetString());
        Assert.Equal("\uFFFD", args.GetProperty("lone").GetString());
        Assert.Equal("\U0001F600", args.GetProperty("pair").GetString());
        Assert.Equal("\\u0000", args.GetProperty("slash").GetString()); // an escaped backslash, not a NUL
        Assert.Equal("bad\u2400byte", Assert.Single(stored.AttemptHistory).Error!.Message);
    }

    [Fact]
    public async Task Jobs_queued_with_text_postgresql_refuses_are_stored_with_replacements()
    {
        var job = NewJob(1) with { ArgsJson = """{"s": "a\u0000b"}""", EventJson = """{"headers": {"k\u0000": "\udc00"}}""" };
        Assert.Equal(1, await _store.EnqueueAsync([job]));
        var stored = (await _store.GetAsync(job.Id))!;
        Assert.Equal("a\u2400b", JsonDocument.Parse(stored.ArgsJson!).RootElement.GetProperty("s").GetString());
        Assert.Equal("\uFFFD", JsonDocument.Parse(stored.EventJson!).RootElement.GetProperty("headers").GetProperty("k\u2400").GetString());
    }

    [Fact]
    public async Task A_completion_counts_only_from_the_claim_that_holds_the_job_and_only_once()
    {
        var job = NewJob(1);
        await _store.EnqueueAsync([job]);
        var stale = (await _store.ClaimAsync("slow-worker", TimeSpan.FromMilliseconds(1)))!;
        await _store.MarkStartedAsync("slow-worker", stale.ClaimOrdinal);
        // It started, and its lease runs out: another worker takes the job over, as a lost run.
        var current = await Eventually.WaitAsync(() => _store.ClaimAsync("other-worker", TimeSpan.FromMinutes(1)), j => j is not null,
            TimeSpan.FromSeconds(5), "the expired claim to be taken over");
        Assert.Equal((1, 2, 1), (stale.Attempts, current!.Attempts, current.LostRuns));
        var now = DateTimeOffset.UtcNow;
        JobOutcome Run(string by) => new() { Succeeded = true, Result = JsonSerializer.SerializeToElement(by), Logs = by, StartedAt = now, CompletedAt = now };

        Assert.False(await _store.RequeueAsync(job.Id, stale.Claim, Run("slow") with { Succeeded = false }, now));
        Assert.False(await _store.CompleteAsync(job.Id, stale.Claim, Run("slow")));
        Assert.True(await _store.CompleteAsync(job.Id, current.Claim, Run("other")));
        Assert.False(await _store.CompleteAsync(job.Id, current.Claim, Run("again")));
        Assert.False(await _store.CompleteAsync(job.Id, stale.Claim, Run("slow, late")));

        var stored = (await _store.GetAsync(job.Id))!;
        Assert.Equal("other", stored.Logs);
        Assert.Equal("\"other\"", stored.ResultJson);
        Assert.Single(stored.AttemptHistory);
    }

    [Fact]
    public async Task Concurrent_claimers_never_get_the_same_job()
    {
        await _store.EnqueueAsync(Enumerable.Range(0, 300).Select(NewJob).ToList());
        var claims = await Task.WhenAll(Enumerable.Range(0, 6).Select(async w =>
        {
            var mine = new List<Guid>();
            while (await _store.ClaimAsync($"w{w}", TimeSpan.FromMinutes(1)) is { } job) mine.Add(job.Id);
            return mine;
        }));
        var all = claims.SelectMany(c => c).ToList();
        Assert.Equal(300, all.Count);
        Assert.Equal(300, all.Distinct().Count());
    }

    [Fact]
    public async Task A_completed_job_keeps_its_outcome()
    {
        var job = NewJob(1);
        await _store.EnqueueAsync([job]);
        var claimed = await _store.ClaimAsync("w1", TimeSpan.FromMinutes(1));
        Assert.Equal(job.Id, claimed!.Id);
        var started = DateTimeOffset.UtcNow;
        await _store.CompleteAsync(job.Id, claimed.Claim, new JobOutcome
        {
            Succeeded = false,
            MainArgs = JsonSerializer.SerializeToElement(new { n = 1, extra = "from preprocessor" }),
            Logs = "line 1\nline 2",
            Error = new JobError("TypeError", "boom", "at main"),
            StartedAt = started,
            CompletedAt = started.AddMilliseconds(120),
        });
        var stored = await _store.GetAsync(job.Id);
        Assert.Equal(JobStatus.Failure, stored!.Status);
        Assert.Equal(new JobError("TypeError", "boom", "at main"), stored.Error);
        Assert.Equal("line 1\nline 2", stored.Logs);
        Assert.Equal("from preprocessor", JsonDocument.Parse(stored.ArgsJson!).RootElement.GetProperty("extra").GetString());
        Assert.Equal(120, stored.ToJob().DurationMs);
        Assert.Null(await _store.ClaimAsync("w1", TimeSpan.FromMinutes(1)));
    }

    [Fact]
    public async Task Jobs_of_a_dead_worker_come_back_by_restart_or_by_expired_lease()
    {
        await _store.EnqueueAsync([NewJob(1), NewJob(2)]);
        var first = await _store.ClaimAsync("restarting-worker", TimeSpan.FromMinutes(10));
        var second = await _store.ClaimAsync("vanished-worker", TimeSpan.FromMilliseconds(1));
        Assert.NotNull(first);
        Assert.NotNull(second);
        await _store.MarkStartedAsync("restarting-worker", first.ClaimOrdinal);
        await _store.MarkStartedAsync("vanished-worker", second.ClaimOrdinal);

        Assert.Equal(1, await _store.RequeueClaimedByAsync("restarting-worker"));
        var reclaimed = await Eventually.WaitAsync(async () =>
        {
            var ids = new List<Guid>();
            while (await _store.ClaimAsync("survivor", TimeSpan.FromMinutes(1)) is { } job) ids.Add(job.Id);
            return ids;
        }, ids => ids.Count > 0, TimeSpan.FromSeconds(5), "the requeued and expired jobs to be claimable");
        Assert.Equal(new[] { first!.Id, second!.Id }.Order(), reclaimed.Order());
        foreach (var id in reclaimed) Assert.Equal(1, (await _store.GetAsync(id))!.LostRuns);
    }

    [Fact]
    public async Task A_dead_workers_claims_count_as_lost_runs_only_up_to_what_its_slots_took()
    {
        await _store.EnqueueAsync(Enumerable.Range(0, 5).Select(NewJob).ToList());
        var claimed = await _store.ClaimAsync("w", TimeSpan.FromMinutes(5), 5, firstOrdinal: 11);
        Assert.Equal([11L, 12, 13, 14, 15], claimed.Select(j => j.ClaimOrdinal));
        // Its slots took the first two (marks arrive in any order, merged); the other three waited in its buffer.
        await Task.WhenAll(_store.MarkStartedAsync("w", 12), _store.MarkStartedAsync("w", 11));

        Assert.Equal(5, await _store.RequeueClaimedByAsync("w"));
        var counts = await Task.WhenAll(claimed.Select(async j => (await _store.GetAsync(j.Id))!));
        Assert.Equal([1, 1, 0, 0, 0], counts.Select(j => j.LostRuns));
        Assert.All(counts, j => Assert.Equal(1, j.LostClaims));

        // The same worker id again (a configured one, restarted): its marks went with its claims, so it counts anew.
        var again = await _store.ClaimAsync("w", TimeSpan.FromMinutes(5), 5);
        Assert.Equal(5, await _store.RequeueClaimedByAsync("w"));
        var after = await Task.WhenAll(again.Select(async j => (await _store.GetAsync(j.Id))!));
        Assert.Equal([1, 1, 0, 0, 0], after.OrderBy(j => counts.ToList().FindIndex(c => c.Id == j.Id)).Select(j => j.LostRuns));
        Assert.All(after, j => Assert.Equal(2, j.LostClaims));
    }

    [Fact]
    public async Task Steps_of_a_lost_flow_are_never_requeued_on_their_own_and_fail_when_the_flow_runs_again()
    {
        var flowJob = NewJob(1) with { IsFlow = true };
        await _store.EnqueueAsync([flowJob]);
        var claimed = (await _store.ClaimAsync("w1", TimeSpan.FromMinutes(5)))!;
        var step = NewJob(2) with { FlowJobId = flowJob.Id, TriggerKind = "flow", TriggerPath = null };
        await _store.StartAsync(step, "w1");

        Assert.Equal(1, await _store.RequeueClaimedByAsync("w1")); // the flow only
        Assert.Equal(JobStatus.Running, (await _store.GetAsync(step.Id))!.Status);
        var again = (await _store.ClaimAsync("w2", TimeSpan.FromMinutes(5)))!;
        Assert.Equal(flowJob.Id, again.Id);
        Assert.Null(await _store.ClaimAsync("w2", TimeSpan.FromMinutes(5))); // the step is not a job of its own

        await _store.FailUnfinishedStepsAsync(flowJob.Id, new JobError("JobLost", "lost with its flow"));
        var lost = (await _store.GetAsync(step.Id))!;
        Assert.Equal((JobStatus.Failure, "lost with its flow"), (lost.Status, lost.Error!.Message));
        Assert.Equal(JobStatus.Running, (await _store.GetAsync(flowJob.Id))!.Status);
        Assert.NotEqual(claimed.Claim, again.Claim);
    }

    [Fact]
    public async Task A_requeued_job_waits_for_its_due_time_and_keeps_the_failed_run_in_its_history()
    {
        var job = NewJob(1);
        await _store.EnqueueAsync([job]);
        var claimed = await _store.ClaimAsync("w1", TimeSpan.FromMinutes(1));
        var now = DateTimeOffset.UtcNow;
        var failedRun = new JobOutcome { Succeeded = false, Error = new JobError("Error", "first"), StartedAt = now, CompletedAt = now, Logs = "" };

        Assert.True(await _store.RequeueAsync(claimed!.Id, claimed.Claim, failedRun, DateTimeOffset.UtcNow.AddSeconds(1)));
        Assert.Null(await _store.ClaimAsync("w1", TimeSpan.FromMinutes(1)));
        var rerun = await Eventually.WaitAsync(() => _store.ClaimAsync("w1", TimeSpan.FromMinutes(1)), j => j is not null,
            TimeSpan.FromSeconds(10), "the rerun to become due");
        Assert.Equal(2, rerun!.Attempts);
        var first = Assert.Single(rerun.AttemptHistory);
        Assert.Equal((1, false, "first"), (first.Attempt, first.Succeeded, first.Error!.Message));

        Assert.True(await _store.CompleteAsync(job.Id, rerun.Claim, failedRun with { Succeeded = true, Error = null }));
        var done = await _store.GetAsync(job.Id);
        Assert.Equal([1, 2], done!.AttemptHistory.Select(a => a.Attempt));
        Assert.Equal(JobStatus.Success, done.Status);
        Assert.Null(done.ScheduledFor);
    }

    [Fact]
    public async Task Flow_steps_and_error_handlers_are_linked_to_their_jobs()
    {
        var flowJob = NewJob(1);
        await _store.EnqueueAsync([flowJob]);
        var step = NewJob(2) with { FlowJobId = flowJob.Id, TriggerKind = "flow", TriggerPath = null };
        await _store.StartAsync(step, "w1");
        var handler = NewJob(3) with { FailedJobId = flowJob.Id, TriggerKind = "error_handler" };
        await _store.EnqueueAsync([handler]);
        await _store.LinkErrorHandlerAsync(flowJob.Id, handler.Id);

        Assert.Equal(JobStatus.Running, (await _store.GetAsync(step.Id))!.Status);
        Assert.Equal(step.Id, Assert.Single(await _store.ListAsync(new JobQuery { WorkspaceId = "ws", FlowJobId = flowJob.Id })).Id);
        Assert.Equal(handler.Id, (await _store.GetAsync(flowJob.Id))!.ErrorHandlerJobId);
        Assert.Equal(flowJob.Id, (await _store.GetAsync(handler.Id))!.FailedJobId);
    }
}
