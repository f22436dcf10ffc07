using Microsoft.Extensions.Diagnostics.HealthChecks;
using Triggers.Runtimes.Sandbox;

namespace Triggers.Silo.Extensions;

/// <summary>Degraded when this silo runs no jobs because the job sandbox does not work here (<c>GET /health</c> says why);
/// not part of readiness, since the silo still listens and serves the API, and other silos run its jobs.</summary>
public sealed class JobSandboxCheck(JobSandbox sandbox) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default) =>
        Task.FromResult(sandbox.Unavailable is { } problem
            ? HealthCheckResult.Degraded($"This silo runs no jobs: the job sandbox does not work here ({problem}). Install bubblewrap, or set Workers:Sandbox=none to run jobs unsandboxed.")
            : HealthCheckResult.Healthy(sandbox.Description));
}
