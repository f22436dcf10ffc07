namespace Triggers.Jobs.Execution;

/// <summary>
/// Who claimed a job: by default the silo's address with its generation, which the cluster's membership names
/// when that silo dies (or is replaced by its own restart), so the survivors can put its jobs back at once.
/// A configured <see cref="WorkerOptions.Id"/> instead lets a restarted silo take back its own jobs.
/// </summary>
public static class WorkerIds
{
    public static string Of(SiloAddress silo, WorkerOptions options) => options.Id ?? silo.ToString();
}
