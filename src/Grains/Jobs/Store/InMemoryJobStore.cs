namespace Triggers.Jobs.Store;

/// <summary>The embedded default's job store: one silo, nothing survives a restart.</summary>
public sealed class InMemoryJobStore(JobQueueSignal signal, TimeProvider clock) : IJobStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<Guid, JobRecord> _jobs = [];
    private readonly Dictionary<Guid, long> _sequence = [];
    private readonly SortedDictionary<long, Guid> _queue = [];
    private readonly Dictionary<Guid, (string Worker, DateTimeOffset LeaseEnd)> _claims = [];
    private readonly Dictionary<(string Trigger, string Partition), PartitionOwnership> _positions = [];
    private readonly Dictionary<string, long> _startedThrough = []; // by worker: the highest claim its slots took
    private long _nextSequence;

    public Task<IReadOnlySet<Guid>> EnqueueAsync(IReadOnlyList<JobRecord> jobs, IReadOnlyList<TriggerPosition> positions, CancellationToken ct = default)
    {
        var added = new HashSet<Guid>();
        lock (_gate)
        {
            if (positions.Any(p => _positions.GetValueOrDefault((p.Trigger, p.Partition))?.Epoch != p.Epoch)) throw new FencedWriteException();
            foreach (var job in jobs)
            {
                if (!_jobs.TryAdd(job.Id, job with { Status = JobStatus.Queued })) continue;
                var seq = _nextSequence++;
                _sequence[job.Id] = seq;
                _queue.Add(seq, job.Id);
                added.Add(job.Id);
            }
            foreach (var position in positions)
            {
                var key = (position.Trigger, position.Partition);
                _positions[key] = _positions[key] with { Next = Math.Max(position.Next, _positions[key].Next) };
            }
        }
        if (added.Count > 0) signal.Notify(added.Count);
        return Task.FromResult<IReadOnlySet<Guid>>(added);
    }

    public Task<IReadOnlyDictionary<string, PartitionOwnership>> TakePartitionsAsync(string trigger, IReadOnlyList<string> partitions, CancellationToken ct = default)
    {
        lock (_gate)
        {
            foreach (var partition in partitions)
                _positions[(trigger, partition)] = _positions.TryGetValue((trigger, partition), out var owner)
                    ? owner with { Epoch = owner.Epoch + 1 } : new PartitionOwnership(0, 1);
            return Task.FromResult<IReadOnlyDictionary<string, PartitionOwnership>>(
                partitions.Distinct().ToDictionary(p => p, p => _positions[(trigger, p)]));
        }
    }

    public Task<IReadOnlyDictionary<string, long>> PositionsAsync(string trigger, CancellationToken ct = default)
    {
        lock (_gate)
            return Task.FromResult<IReadOnlyDictionary<string, long>>(
                _positions.Where(p => p.Key.Trigger == trigger).ToDictionary(p => p.Key.Partition, p => p.Value.Next));
    }

    public Task<int> DeleteFinishedAsync(DateTimeOffset before, int max, CancellationToken ct = default)
    {
        lock (_gate)
        {
            var old = _jobs.Values
                .Where(j => j.Status is JobStatus.Success or JobStatus.Failure && j.CompletedAt < before)
                .OrderBy(j => j.CompletedAt).Take(max).Select(j => j.Id).ToList();
            foreach (var id in old)
            {
                _jobs.Remove(id);
                _sequence.Remove(id);
            }
            return Task.FromResult(old.Count);
        }
    }

    public Task ForgetPositionsAsync(string trigger, CancellationToken ct = default)
    {
        lock (_gate)
            foreach (var key in _positions.Keys.Where(k => k.Trigger == trigger).ToList())
                _positions[key] = new PartitionOwnership(0, _positions[key].Epoch + 1);
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<JobRecord>> ClaimAsync(string workerId, TimeSpan lease, int max, long firstOrdinal = 1, CancellationToken ct = default)
    {
        lock (_gate)
        {
            ReclaimExpiredLeases();
            var now = clock.GetUtcNow();
            // An ordered job waits until every earlier job of its order key has finished: the first queued job of a key
            // is the only one that may start, and none while one of the key is running.
            var waiting = _claims.Keys.Select(id => _jobs[id].OrderKey).OfType<string>().ToHashSet(); // the running jobs' keys
            var due = new List<KeyValuePair<long, Guid>>();
            foreach (var entry in _queue)
            {
                if (due.Count == max) break;
                var job = _jobs[entry.Value];
                if (job.OrderKey is { } key && !waiting.Add(key)) continue;
                if (!job.Held && (job.ScheduledFor is not { } at || at <= now)) due.Add(entry);
            }
            var claimed = new List<JobRecord>(due.Count);
            foreach (var (seq, id) in due)
            {
                _queue.Remove(seq);
                var job = _jobs[id] with
                {
                    Status = JobStatus.Running, Attempts = _jobs[id].Attempts + 1, StartedAt = now, ClaimedBy = workerId, ClaimOrdinal = firstOrdinal + claimed.Count,
                };
                _jobs[id] = job;
                _claims[id] = (workerId, now + lease);
                claimed.Add(job);
            }
            return Task.FromResult<IReadOnlyList<JobRecord>>(claimed);
        }
    }

    public Task UnclaimAsync(IReadOnlyCollection<Guid> ids, string workerId, CancellationToken ct = default)
    {
        lock (_gate)
            foreach (var id in ids.Where(id => _claims.TryGetValue(id, out var claim) && claim.Worker == workerId))
            {
                Requeue(id);
                _jobs[id] = _jobs[id] with { Attempts = _jobs[id].Attempts - 1 };
            }
        return Task.CompletedTask;
    }

    private void ReclaimExpiredLeases()
    {
        var now = clock.GetUtcNow();
        foreach (var (id, claim) in _claims.Where(c => c.Value.LeaseEnd < now).ToList())
            RequeueLost(id);
    }

    private void Requeue(Guid id)
    {
        _claims.Remove(id);
        _jobs[id] = _jobs[id] with { Status = JobStatus.Queued, ClaimedBy = null };
        _queue[_sequence[id]] = id;
    }

    private void RequeueLost(Guid id)
    {
        var job = _jobs[id];
        var started = job.ClaimedBy is { } worker && job.ClaimOrdinal <= _startedThrough.GetValueOrDefault(worker);
        Requeue(id);
        _jobs[id] = _jobs[id] with { LostRuns = job.LostRuns + (started ? 1 : 0), LostClaims = job.LostClaims + 1 };
    }

    public Task MarkStartedAsync(string workerId, long ordinal, CancellationToken ct = default)
    {
        lock (_gate) _startedThrough[workerId] = Math.Max(ordinal, _startedThrough.GetValueOrDefault(workerId));
        return Task.CompletedTask;
    }

    /// <summary>Whether the claim still holds the job: it runs, under that worker, in that attempt.</summary>
    private bool Holds(Guid id, JobClaim claim) =>
        _jobs.TryGetValue(id, out var job) && job.Status == JobStatus.Running && job.Claim == claim;

    public Task<int> RequeueClaimedByAsync(IReadOnlyCollection<string> workerIds, CancellationToken ct = default)
    {
        lock (_gate)
        {
            var mine = _claims.Where(c => workerIds.Contains(c.Value.Worker)).Select(c => c.Key).ToList();
            mine.ForEach(RequeueLost);
            foreach (var worker in workerIds) _startedThrough.Remove(worker);
            return Task.FromResult(mine.Count);
        }
    }

    public Task<bool> CompleteAsync(Guid id, JobClaim claim, JobOutcome outcome, CancellationToken ct = default)
    {
        lock (_gate)
        {
            if (!Holds(id, claim)) return Task.FromResult(false);
            _claims.Remove(id);
            _jobs[id] = _jobs[id].Completed(outcome) with { ClaimedBy = null };
        }
        return Task.FromResult(true);
    }

    public Task<bool> RequeueAsync(Guid id, JobClaim claim, JobOutcome outcome, DateTimeOffset due, CancellationToken ct = default)
    {
        lock (_gate)
        {
            if (!Holds(id, claim)) return Task.FromResult(false);
            _claims.Remove(id);
            _jobs[id] = _jobs[id].Requeued(outcome, due) with { ClaimedBy = null };
            _queue[_sequence[id]] = id;
        }
        return Task.FromResult(true);
    }

    public Task FailUnfinishedStepsAsync(Guid flowJobId, JobError error, CancellationToken ct = default)
    {
        var now = clock.GetUtcNow();
        lock (_gate)
            foreach (var step in _jobs.Values.Where(j => j.FlowJobId == flowJobId && j.Status == JobStatus.Running).ToList())
                _jobs[step.Id] = step with { Status = JobStatus.Failure, Error = error, CompletedAt = now, ClaimedBy = null };
        return Task.CompletedTask;
    }

    public Task LinkErrorHandlerAsync(Guid failedJobId, Guid handlerJobId, CancellationToken ct = default)
    {
        lock (_gate)
            if (_jobs.TryGetValue(failedJobId, out var job)) _jobs[failedJobId] = job with { ErrorHandlerJobId = handlerJobId };
        return Task.CompletedTask;
    }

    public Task<int> ReleaseHeldAsync(string workspaceId, string triggerPath, IReadOnlyCollection<Guid>? ids = null, CancellationToken ct = default)
    {
        int released;
        lock (_gate)
        {
            var held = Held(workspaceId, triggerPath, ids);
            foreach (var job in held) _jobs[job.Id] = job with { Held = false };
            released = held.Count;
        }
        if (released > 0) signal.Notify(released);
        return Task.FromResult(released);
    }

    public Task<IReadOnlyList<Guid>> RedriveAsync(string workspaceId, string triggerPath, IReadOnlyCollection<Guid>? ids, DateTimeOffset? since, CancellationToken ct = default)
    {
        List<Guid> redriven;
        lock (_gate)
        {
            var failed = _jobs.Values.Where(j => j.WorkspaceId == workspaceId && j.TriggerPath == triggerPath && j.Status == JobStatus.Failure
                                                 && j.FlowJobId is null && (ids is null || ids.Contains(j.Id)) && (since is null || j.CompletedAt >= since))
                .OrderBy(j => _sequence[j.Id]).ToList();
            foreach (var job in failed)
            {
                _jobs[job.Id] = job with
                {
                    Status = JobStatus.Queued, ResultJson = null, Error = null, StartedAt = null, CompletedAt = null, ScheduledFor = null,
                    ClaimedBy = null, LostRuns = 0, LostClaims = 0,
                };
                _queue[_sequence[job.Id]] = job.Id;
            }
            redriven = failed.Select(j => j.Id).ToList();
        }
        if (redriven.Count > 0) signal.Notify(redriven.Count);
        return Task.FromResult<IReadOnlyList<Guid>>(redriven);
    }

    public Task MoveTriggerJobsAsync(string workspaceId, string fromPath, string toPath, CancellationToken ct = default)
    {
        lock (_gate)
            foreach (var job in _jobs.Values.Where(j => j.WorkspaceId == workspaceId && j.TriggerPath == fromPath
                                                        && j.Status is JobStatus.Queued or JobStatus.Running).ToList())
                _jobs[job.Id] = job with { TriggerPath = toPath };
        return Task.CompletedTask;
    }

    public Task<int> CancelHeldAsync(string workspaceId, string triggerPath, IReadOnlyCollection<Guid>? ids, JobError error, CancellationToken ct = default)
    {
        var now = clock.GetUtcNow();
        lock (_gate)
        {
            var held = Held(workspaceId, triggerPath, ids);
            foreach (var job in held)
            {
                _queue.Remove(_sequence[job.Id]);
                _jobs[job.Id] = job with { Held = false, Status = JobStatus.Failure, Error = error, CompletedAt = now };
            }
            return Task.FromResult(held.Count);
        }
    }

    private List<JobRecord> Held(string workspaceId, string triggerPath, IReadOnlyCollection<Guid>? ids) =>
        _jobs.Values.Where(j => j.Held && j.Status == JobStatus.Queued && j.WorkspaceId == workspaceId && j.TriggerPath == triggerPath
                                && (ids is null || ids.Contains(j.Id))).ToList();

    public Task ExtendLeaseAsync(Guid id, TimeSpan lease, CancellationToken ct = default)
    {
        lock (_gate)
            if (_claims.TryGetValue(id, out var claim)) _claims[id] = claim with { LeaseEnd = clock.GetUtcNow() + lease };
        return Task.CompletedTask;
    }

    public Task StartAsync(JobRecord job, string workerId, CancellationToken ct = default)
    {
        lock (_gate)
        {
            if (_jobs.ContainsKey(job.Id)) return Task.CompletedTask;
            _jobs[job.Id] = job with { Status = JobStatus.Running, Attempts = 1, StartedAt = clock.GetUtcNow(), ClaimedBy = workerId };
            _sequence[job.Id] = _nextSequence++;
        }
        return Task.CompletedTask;
    }

    public Task<JobRecord?> GetAsync(Guid id, CancellationToken ct = default)
    {
        lock (_gate) return Task.FromResult(_jobs.GetValueOrDefault(id));
    }

    public Task<int> CountUnfinishedAsync(string workspaceId, int atMost, CancellationToken ct = default)
    {
        lock (_gate)
            return Task.FromResult(_jobs.Values.Where(j => j.WorkspaceId == workspaceId && j.Status is JobStatus.Queued or JobStatus.Running).Take(atMost).Count());
    }

    public Task<IReadOnlyList<JobRecord>> ListAsync(JobQuery query, CancellationToken ct = default)
    {
        lock (_gate)
        {
            IReadOnlyList<JobRecord> page = _jobs.Values
                .Where(j => j.WorkspaceId == query.WorkspaceId
                            && (query.ScriptPath is null || j.ScriptPath == query.ScriptPath)
                            && (query.TriggerPath is null || j.TriggerPath == query.TriggerPath)
                            && (query.Status is null || j.Status == query.Status)
                            && (query.FlowJobId is null || j.FlowJobId == query.FlowJobId))
                .OrderByDescending(j => j.CreatedAt).ThenByDescending(j => _sequence[j.Id])
                .Skip((int)Math.Min(query.Offset, int.MaxValue)).Take(query.PerPage)
                .Select(j => j with { Logs = null })
                .ToList();
            return Task.FromResult(page);
        }
    }
}
