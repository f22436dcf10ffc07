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
        var directory = Path.TrimEndingDirectorySeparator(RealPath(keytabDirectory)) + Path.DirectorySeparatorChar;
        string target;
        try { target = RealPath(path); }
        catch (IOException e) { throw Outside(path, directory, $" ({e.Message})"); }
        if (!Path.GetFullPath(path).StartsWith(Path.TrimEndingDirectorySeparator(Path.GetFullPath(keytabDirectory)) + Path.DirectorySeparatorChar, StringComparison.Ordinal)
            || !target.StartsWith(directory, StringComparison.Ordinal))
            throw Outside(path, directory, "");
    }

    private static InvalidInputException Outside(string path, string directory, string why) => new("value.security.keytab_path",
        $"keytab_path must name a file in {directory} (Kerberos:KeytabDirectory, where keytabs are mounted on the silos); " +
        $"'{path}' is not there{why}. Mount the keytab there, or send it as keytab_base64.");

    /// <summary>The path with every symbolic link along it followed, the directories' as well as the file's: a link to
    /// a directory inside the keytab directory must not lead a path out of it.</summary>
    private static string RealPath(string path, int depth = 0)
    {
        if (depth > 40) throw new IOException("too many levels of symbolic links");
        var resolved = Path.GetPathRoot(Path.GetFullPath(path))!;
        foreach (var part in Path.GetFullPath(path)[resolved.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries))
        {
            var next = Path.Combine(resolved, part);
            var info = new FileInfo(next);
            // A link's target may itself run through links: walk it the same way.
            resolved = info.LinkTarget is null ? next : RealPath(info.ResolveLinkTarget(returnFinalTarget: true)!.FullName, depth + 1);
        }
        return resolved;
    }
}
