namespace Triggers.Jobs.Execution;

/// <summary>Configuration section <c>Workers</c>.</summary>
public sealed class WorkerOptions
{
    public const string Section = "Workers";

    /// <summary>Job slots in this silo; 0 makes a listen-only silo.</summary>
    public int Count { get; set; } = 2;

    /// <summary>A stable name for this silo's workers, so that a restarted silo takes back the jobs it was running.
    /// By default the silo's address is used, and the cluster puts a dead silo's jobs back (see WorkerIds).</summary>
    public string? Id { get; set; }

    /// <summary>How long one run may take before it is killed.</summary>
    public int JobTimeoutSeconds { get; set; } = 300;

    /// <summary>How many times a job may be lost by its worker (the worker died, was stopped or could not record the
    /// outcome) before it fails instead of running again: a job that kills its worker must not loop.</summary>
    public int MaxLostRuns { get; set; } = 3;

    /// <summary>How many times a job's claim may be lost with its worker, started or not, before it fails: the bound for
    /// a job that ends its worker before the worker could record that it started it.</summary>
    public int MaxLostClaims { get; set; } = 10;

    /// <summary>The API's base URL as jobs reach it (<c>BASE_INTERNAL_URL</c>). By default the address this silo serves
    /// its API on, with a wildcard host read as loopback (jobs share the silo's network); set it when that address is
    /// not reachable from jobs, e.g. behind a proxy with a certificate for another name.</summary>
    public string? BaseInternalUrl { get; set; }

    /// <summary>The role of a job's own token (<c>WM_TOKEN</c>) in its workspace: <c>developer</c> (scripts may run
    /// other scripts and change the workspace's items, as with Windmill's default user), <c>operator</c>, <c>viewer</c>, or
    /// <c>none</c> for no token at all.</summary>
    public string JobTokenRole { get; set; } = "developer";

    /// <summary>How often idle workers look for jobs queued by other silos.</summary>
    public int IdlePollMilliseconds { get; set; } = 250;
}
