using Triggers.Security;

namespace Triggers.Jobs.Execution;

/// <summary>
/// Windmill's contextual variables, which a job finds in its environment under Windmill's names, so scripts written for
/// Windmill work unchanged: the workspace, the job's id and path, for a flow's step the flow's job, path and step id,
/// and <c>WM_TOKEN</c> with <c>BASE_INTERNAL_URL</c>, with which the job may call this API in its own workspace while
/// it runs (<see cref="JobTokens"/>).
/// </summary>
public sealed class JobVariables(JobTokens tokens, IInternalApiAddress api)
{
    /// <param name="timeout">How long the run may take: its token expires soon after.</param>
    /// <param name="flow">The flow job <paramref name="job"/> is a step of, if any.</param>
    /// <param name="stepId">The step's id in that flow.</param>
    public IReadOnlyDictionary<string, string> Of(JobRecord job, TimeSpan timeout, JobRecord? flow = null, string? stepId = null)
    {
        var variables = new Dictionary<string, string>
        {
            ["WM_WORKSPACE"] = job.WorkspaceId,
            ["WM_JOB_ID"] = job.Id.ToString(),
            ["WM_JOB_PATH"] = job.ScriptPath,
        };
        if (tokens.Mint(job, timeout) is { } token) variables["WM_TOKEN"] = token;
        if (api.BaseUrl is { } url) variables["BASE_INTERNAL_URL"] = url;
        if (flow is not null)
        {
            // Flows do not nest here, so the flow is also the root flow.
            variables["WM_FLOW_JOB_ID"] = flow.Id.ToString();
            variables["WM_ROOT_FLOW_JOB_ID"] = flow.Id.ToString();
            variables["WM_FLOW_PATH"] = flow.ScriptPath;
            if (stepId is not null) variables["WM_FLOW_STEP_ID"] = stepId;
        }
        return variables;
    }
}
