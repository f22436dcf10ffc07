using Triggers.Validation;

namespace Triggers.Triggers.Kafka;

/// <summary>Configuration section <c>Kerberos</c>.</summary>
public sealed class KerberosOptions
{
    public const string Section = "Kerberos";

    /// <summary>The only directory a resource's <c>keytab_path</c> may name a file in (the chart mounts keytabs here), so
    /// a resource cannot make a silo read, or reveal the existence of, any other file.</summary>
    public string KeytabDirectory { get; set; } = "/etc/kafka-keytabs";
}

/// <summary>Where a resource's <c>keytab_path</c> may point: inside <see cref="KerberosOptions.KeytabDirectory"/>, also
/// once <c>..</c> and symbolic links are resolved.</summary>
public static class KeytabLocation
{
    /// <exception cref="InvalidInputException">The path leads outside the keytab directory.</exception>
    public static void Check(KafkaConnection connection, string keytabDirectory)
    {
        if (connection.Security.KeytabPath is not { Length: > 0 } path) return;
        var directory = Path.TrimEndingDirectorySeparator(Path.GetFullPath(keytabDirectory)) + Path.DirectorySeparatorChar;
        var full = Path.GetFullPath(path);
        // A link inside the directory may point anywhere: what counts is the file it leads to.
        var target = File.Exists(full) && new FileInfo(full).ResolveLinkTarget(returnFinalTarget: true) is { } link ? link.FullName : full;
        if (!full.StartsWith(directory, StringComparison.Ordinal) || !target.StartsWith(directory, StringComparison.Ordinal))
            throw new InvalidInputException("value.security.keytab_path",
                $"keytab_path must name a file in {directory} (Kerberos:KeytabDirectory, where keytabs are mounted on the silos); " +
                $"'{path}' is not there. Mount the keytab there, or send it as keytab_base64.");
    }
}
