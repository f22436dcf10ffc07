namespace Triggers.Jobs.Execution;

/// <summary>
/// Windmill's contextual variables, which a job finds in its environment under Windmill's names, so scripts written for
/// Windmill that log or tag by them work unchanged: the workspace, the job's id and path, and for a flow's step the
/// flow's job, path and step id. (<c>WM_TOKEN</c> and <c>BASE_INTERNAL_URL</c> come with scoped tokens.)
/// </summary>
internal static class JobVariables
{
    /// <param name="flow">The flow job <paramref name="job"/> is a step of, if any.</param>
    /// <param name="stepId">The step's id in that flow.</param>
    public static IReadOnlyDictionary<string, string> Of(JobRecord job, JobRecord? flow = null, string? stepId = null)
    {
        var variables = new Dictionary<string, string>
        {
            ["WM_WORKSPACE"] = job.WorkspaceId,
            ["WM_JOB_ID"] = job.Id.ToString(),
            ["WM_JOB_PATH"] = job.ScriptPath,
        };
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
