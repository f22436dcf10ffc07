using Orleans.Concurrency;
using Triggers.Jobs;
using Triggers.Jobs.Store;
using Triggers.Tokens;

namespace Triggers.Security;

/// <summary>Answers whether a job token is good: signed here, unexpired, and its run of the job still running.</summary>
[StatelessWorker]
public sealed class JobTokensGrain(JobTokens tokens, IJobStore store) : Grain, IJobTokensGrain
{
    public async Task<ApiToken?> ResolveAsync(string token)
    {
        if (tokens.Role is not { } role || tokens.Read(token) is not var (jobId, run, expiresAt)) return null;
        // A finished run's token dies with it, and a retry (the next attempt) gets a token of its own.
        var job = await store.GetAsync(jobId);
        if (job is not { Status: JobStatus.Running } || job.Attempts != run) return null;
        return new ApiToken
        {
            Label = Editors.Job(jobId),
            Role = role,
            Workspaces = [job.WorkspaceId],
            ExpiresAt = expiresAt,
        };
    }
}
