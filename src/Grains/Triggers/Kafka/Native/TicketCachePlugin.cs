namespace Triggers.Triggers.Kafka.Native;

/// <summary>
/// The librdkafka plugin built from <c>ticket_cache_plugin.c</c> next to this file, which points every thread of a
/// Kafka client at that client's own Kerberos ticket cache. The build compiles it into the output folder when gcc and
/// the Kerberos headers are there (Debian: <c>gcc</c>, <c>libkrb5-dev</c>).
/// </summary>
public static class TicketCachePlugin
{
    /// <summary>The client configuration property the plugin reads: a <c>FILE:</c> ticket cache.</summary>
    public const string Property = "orleans_triggers.krb5.ccname";

    public static string Path { get; } = System.IO.Path.Combine(AppContext.BaseDirectory, "librdkafka-ticket-cache.so");

    /// <summary>Whether this build has the plugin (it needs gcc and the Kerberos headers at build time).</summary>
    public static bool IsBuilt => File.Exists(Path);

    /// <summary>Fails with the fix when a Kerberos resource meets a silo built without the plugin.</summary>
    public static void Require()
    {
        if (!IsBuilt)
            throw new InvalidOperationException(
                $"This silo has no {System.IO.Path.GetFileName(Path)}, the librdkafka plugin that gives each Kerberos client its own " +
                "ticket cache: it was built without gcc or the Kerberos headers. Build it with run.sh (which installs gcc and libkrb5-dev), " +
                "or use the container image.");
    }
}
