namespace Triggers.Jobs;

/// <summary>Durable job queue and history: in memory for the embedded default, PostgreSQL otherwise.</summary>
public interface IJobStore
{
    /// <summary>
    /// Makes the jobs durable as queued, in list order. Ids that already exist are left alone (a redelivered
    /// Kafka message maps to the same id), so this is safe to repeat. Returns how many jobs were new.
    /// </summary>
    Task<int> EnqueueAsync(IReadOnlyList<JobRecord> jobs, CancellationToken ct = default);

    /// <summary>Takes the oldest queued job (or one whose worker vanished), marks it running; null when none.</summary>
    Task<JobRecord?> ClaimAsync(string workerId, TimeSpan lease, CancellationToken ct = default);

    /// <summary>Puts back the jobs a previous incarnation of this worker had claimed when it died.</summary>
    Task<int> RequeueClaimedByAsync(string workerId, CancellationToken ct = default);

    Task CompleteAsync(Guid id, JobOutcome outcome, CancellationToken ct = default);

    Task<JobRecord?> GetAsync(Guid id, CancellationToken ct = default);

    /// <summary>Newest first, logs left out.</summary>
    Task<IReadOnlyList<JobRecord>> ListAsync(JobQuery query, CancellationToken ct = default);
}
