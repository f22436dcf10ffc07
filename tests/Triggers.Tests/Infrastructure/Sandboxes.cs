using Microsoft.Extensions.Logging.Abstractions;
using Triggers.Runtimes.Sandbox;

namespace Triggers.Tests.Infrastructure;

/// <summary>Job sandboxes for tests that build runtimes themselves.</summary>
public static class Sandboxes
{
    /// <summary>The default sandbox, required: on a machine where bubblewrap does not work, the tests that use it fail
    /// instead of quietly running jobs unsandboxed (test.sh installs it).</summary>
    public static JobSandbox Bubblewrap { get; } = JobSandbox.Create(new SandboxOptions { Sandbox = SandboxMode.Bubblewrap }, NullLogger.Instance);
}
