using Orleans.Concurrency;
using Triggers.Jobs.Store;

namespace Triggers.Jobs;

[StatelessWorker]
public sealed class JobCatalogGrain(IJobStore store) : Grain, IJobCatalogGrain
{
    public async Task<IReadOnlyList<Job>> ListAsync(JobQuery query)
    {
        var page = await store.ListAsync(query with
        {
            Page = Math.Max(1, query.Page),
            PerPage = Math.Clamp(query.PerPage, 1, 1000),
        });
        return page.Select(j => j.ToJob(includeLogs: false)).ToList();
    }

    public Task<int> CountUnfinishedAsync(string workspaceId, int atMost) => store.CountUnfinishedAsync(workspaceId, atMost);
}
