namespace Triggers.Runtimes;

/// <summary>
/// Where each language's interpreter is (configuration keys <c>Runtimes:Bun</c>, <c>Runtimes:Python</c>,
/// <c>Runtimes:Bash</c>). A bare name is looked up on the jobs' PATH (/usr/local/bin:/usr/bin:/bin) first and then on
/// the host's PATH; anything containing a slash is taken as a path.
/// </summary>
public sealed class RuntimeOptions
{
    public const string Section = "Runtimes";

    public string Bun { get; set; } = "bun";
    public string Python { get; set; } = "python3";
    public string Bash { get; set; } = "bash";

    /// <summary>Most warm processes of dedicated workers kept per language; idle ones of other scripts make way.</summary>
    public int DedicatedMaxProcesses { get; set; } = 8;

    /// <summary>A dedicated worker whose process grows beyond this (resident memory) is replaced, failing the job in flight.</summary>
    public int DedicatedMaxMemoryMb { get; set; } = 1024;
}
