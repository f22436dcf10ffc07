using Triggers.Resources;

namespace Triggers.Triggers.Kafka;

/// <summary>
/// The files one Kafka client authenticates with over Kerberos: a ticket cache of its own, and for a
/// <c>keytab_base64</c> a copy of the keytab. Both live in a folder only the silo's user can enter, exist for as long
/// as the client, and are deleted afterwards. A cache per client keeps one trigger's principal and tickets apart from
/// another's: with the process's default cache, the last trigger to run kinit would decide who every trigger is.
/// </summary>
public sealed class KerberosFiles : IDisposable
{
    private static readonly string Folder = Path.Combine(Path.GetTempPath(), "orleans-triggers-kerberos");
    private readonly string? _keytabCopy;

    private KerberosFiles(string keytabPath, string? keytabCopy, string cacheFile)
    {
        KeytabPath = keytabPath;
        _keytabCopy = keytabCopy;
        CacheFile = cacheFile;
    }

    /// <summary>The keytab kinit reads: the copy of <c>keytab_base64</c>, or the resource's <c>keytab_path</c>.</summary>
    public string KeytabPath { get; }

    /// <summary>This client's ticket cache, as MIT krb5 names it.</summary>
    public string TicketCache => $"FILE:{CacheFile}";

    private string CacheFile { get; }

    /// <summary>The files for a client of a Kerberos resource, or null for any other kind of resource.</summary>
    public static KerberosFiles? For(KafkaSecurity security)
    {
        if (security.Label is not (KafkaSecurityLabel.SaslGssapi or KafkaSecurityLabel.SaslSslGssapi)) return null;
        Directory.CreateDirectory(Folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var name = Path.Combine(Folder, Guid.NewGuid().ToString("N"));
        string? copy = null;
        if (!string.IsNullOrEmpty(security.KeytabBase64))
        {
            copy = name + ".keytab";
            using var file = new FileStream(copy, new FileStreamOptions
            {
                Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            });
            file.Write(Convert.FromBase64String(security.KeytabBase64));
        }
        return new KerberosFiles(copy ?? security.KeytabPath ?? "", copy, name + ".ccache");
    }

    /// <summary>
    /// The command librdkafka runs to log in and to renew the login before tickets expire: its default, but with
    /// this client's cache, and every argument quoted (it goes to a shell).
    /// </summary>
    public string KinitCommand(string principal)
    {
        var arguments = $"-c {Quoted(TicketCache)} -k -t {Quoted(KeytabPath)} {Quoted(principal)}";
        return $"kinit -R {arguments} || kinit {arguments}";
    }

    /// <summary>Fails early, naming the file and the fix, when a mounted keytab cannot be read by this silo.</summary>
    public static void RequireReadable(string path)
    {
        try
        {
            using var _ = File.OpenRead(path);
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            throw new InvalidOperationException(
                $"kinit cannot use keytab {path}: {(e is UnauthorizedAccessException ? "Permission denied" : e.Message)}. " +
                "Make the file readable by the silo's user (in Kubernetes: defaultMode 0644 on the Secret volume), or give the resource keytab_base64 instead.");
        }
    }

    public void Dispose()
    {
        foreach (var file in new[] { _keytabCopy, CacheFile })
            if (file is not null)
                try { File.Delete(file); } catch (IOException) { }
    }

    private static string Quoted(string value) => $"'{value.Replace("'", "'\\''")}'";
}
