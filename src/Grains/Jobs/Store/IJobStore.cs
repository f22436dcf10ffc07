namespace Triggers.Jobs.Store;

/// <summary>Durable job queue and history: in memory for the embedded default, PostgreSQL otherwise.</summary>
public interface IJobStore
{
    /// <summary>
    /// Makes the jobs durable as queued, in list order, together with the positions their trigger reached (each only
    /// ever moves forward). Ids that already exist are left alone (a redelivered trigger event maps to the same id),
    /// so this is safe to repeat. Returns the ids that were new.
    /// </summary>
    /// <exception cref="FencedWriteException">A position's epoch is no longer its partition's: nothing was stored.</exception>
    Task<IReadOnlySet<Guid>> EnqueueAsync(IReadOnlyList<JobRecord> jobs, IReadOnlyList<TriggerPosition> positions, CancellationToken ct = default);

    /// <summary>
    /// Takes <paramref name="partitions"/> of a trigger's source for a new owner: each gets its next epoch, which the
    /// owner's writes carry, so that writes of every former owner are refused from now on; returns where the stored
    /// jobs end in each (0 where there are none) with the epoch.
    /// </summary>
    Task<IReadOnlyDictionary<string, PartitionOwnership>> TakePartitionsAsync(string trigger, IReadOnlyList<string> partitions, CancellationToken ct = default);

    /// <summary>The stored positions of a trigger's source (see <see cref="TriggerPosition"/>), by partition.</summary>
    Task<IReadOnlyDictionary<string, long>> PositionsAsync(string trigger, CancellationToken ct = default);

    /// <summary>Forgets where a trigger's stored jobs end (every position back to 0), e.g. when its offsets are reset or it is
    /// deleted; every partition also gets its next epoch, so no writer from before may write.</summary>
    Task ForgetPositionsAsync(string trigger, CancellationToken ct = default);

    /// <summary>Takes up to <paramref name="max"/> of the oldest queued jobs (or ones whose worker vanished: a lost claim,
    /// and a lost run if that worker had started it), in queue order, and marks them running; empty when there are none.
    /// They are numbered from <paramref name="firstOrdinal"/> in that order (<see cref="JobRecord.ClaimOrdinal"/>).</summary>
    Task<IReadOnlyList<JobRecord>> ClaimAsync(string workerId, TimeSpan lease, int max, long firstOrdinal = 1, CancellationToken ct = default);

    /// <summary>Records that the worker's slots have taken its claims up to <paramref name="ordinal"/> (they take them in
    /// order): if it dies, those count as lost runs, and the ones after as claims that never started.</summary>
    Task MarkStartedAsync(string workerId, long ordinal, CancellationToken ct = default);

    /// <summary>Puts back claimed jobs this worker never started (it is stopping), as if they had not been claimed.</summary>
    Task UnclaimAsync(IReadOnlyCollection<Guid> ids, string workerId, CancellationToken ct = default);

    /// <summary>Puts back the jobs these workers (dead ones, or a previous incarnation of this one) had claimed, counting
    /// each as a lost run. Flow steps are not put back: they run only inside their flow, whose next run replaces them.</summary>
    Task<int> RequeueClaimedByAsync(IReadOnlyCollection<string> workerIds, CancellationToken ct = default);

    /// <summary>Records the last run's outcome as the job's final state, if <paramref name="claim"/> still holds the
    /// job; returns whether it did (false for a stale worker or a repeated completion, which change nothing).</summary>
    Task<bool> CompleteAsync(Guid id, JobClaim claim, JobOutcome outcome, CancellationToken ct = default);

    /// <summary>Records a failed run and queues the job again, to be claimed no earlier than <paramref name="due"/>, if
    /// <paramref name="claim"/> still holds the job; returns whether it did.</summary>
    Task<bool> RequeueAsync(Guid id, JobClaim claim, JobOutcome outcome, DateTimeOffset due, CancellationToken ct = default);

    /// <summary>Fails the steps an earlier run of a flow left running (its worker was lost); the flow's new run
    /// starts its steps afresh.</summary>
    Task FailUnfinishedStepsAsync(Guid flowJobId, JobError error, CancellationToken ct = default);

    /// <summary>Notes on a failed job which job handles its failure.</summary>
    Task LinkErrorHandlerAsync(Guid failedJobId, Guid handlerJobId, CancellationToken ct = default);

    /// <summary>Lets workers take the jobs a suspended trigger held back (all of them, or those of
    /// <paramref name="ids"/>); returns how many.</summary>
    Task<int> ReleaseHeldAsync(string workspaceId, string triggerPath, IReadOnlyCollection<Guid>? ids = null, CancellationToken ct = default);

    /// <summary>
    /// Queues a trigger's failed jobs again (those of <paramref name="ids"/>, or all; only those completed at or after
    /// <paramref name="since"/> when given) with the arguments and event they had, keeping their id and attempt history:
    /// each runs once more. Flow steps are left to their flows. Returns the ids queued again.
    /// </summary>
    Task<IReadOnlyList<Guid>> RedriveAsync(string workspaceId, string triggerPath, IReadOnlyCollection<Guid>? ids, DateTimeOffset? since, CancellationToken ct = default);

    /// <summary>Hands a renamed trigger's queued and running jobs to its new path, so that their retries, error
    /// handler and release (if held) follow the trigger; finished jobs keep the path they ran under.</summary>
    Task MoveTriggerJobsAsync(string workspaceId, string fromPath, string toPath, CancellationToken ct = default);

    /// <summary>Ends held jobs (all of them, or those of <paramref name="ids"/>) as failed with <paramref name="error"/>,
    /// without running them; returns how many.</summary>
    Task<int> CancelHeldAsync(string workspaceId, string triggerPath, IReadOnlyCollection<Guid>? ids, JobError error, CancellationToken ct = default);

    /// <summary>Keeps a running job claimed for another <paramref name="lease"/> (a flow runs many steps under one claim).</summary>
    Task ExtendLeaseAsync(Guid id, TimeSpan lease, CancellationToken ct = default);

    /// <summary>Stores a job that this worker runs at once (a flow's step): it never waits in the queue.</summary>
    Task StartAsync(JobRecord job, string workerId, CancellationToken ct = default);

    Task<JobRecord?> GetAsync(Guid id, CancellationToken ct = default);

    /// <summary>Removes up to <paramref name="max"/> finished jobs completed before <paramref name="before"/>, oldest
    /// first; returns how many. Queued and running jobs stay.</summary>
    Task<int> DeleteFinishedAsync(DateTimeOffset before, int max, CancellationToken ct = default);

    /// <summary>Newest first, logs left out.</summary>
    Task<IReadOnlyList<JobRecord>> ListAsync(JobQuery query, CancellationToken ct = default);

    /// <summary>How many of the workspace's jobs have not finished (waiting, held or running), counted up to
    /// <paramref name="atMost"/>: enough to tell whether a quota is reached without counting a huge backlog.</summary>
    Task<int> CountUnfinishedAsync(string workspaceId, int atMost, CancellationToken ct = default);
}

public static class JobStoreExtensions
{
    /// <summary>Puts back the jobs one worker had claimed (see <see cref="IJobStore.RequeueClaimedByAsync"/>).</summary>
    public static Task<int> RequeueClaimedByAsync(this IJobStore store, string workerId, CancellationToken ct = default) =>
        store.RequeueClaimedByAsync([workerId], ct);

    /// <summary>Makes the jobs durable as queued (see <see cref="IJobStore.EnqueueAsync"/>); returns how many were new.</summary>
    public static async Task<int> EnqueueAsync(this IJobStore store, IReadOnlyList<JobRecord> jobs, CancellationToken ct = default) =>
        jobs.Count == 0 ? 0 : (await store.EnqueueAsync(jobs, [], ct)).Count;

    /// <summary>Takes the oldest queued job, or null when there is none.</summary>
    public static async Task<JobRecord?> ClaimAsync(this IJobStore store, string workerId, TimeSpan lease, CancellationToken ct = default) =>
        (await store.ClaimAsync(workerId, lease, 1, ct: ct)).SingleOrDefault();
}
