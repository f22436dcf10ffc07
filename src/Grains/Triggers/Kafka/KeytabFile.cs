using Triggers.Resources;

namespace Triggers.Triggers.Kafka;

/// <summary>
/// A <c>keytab_base64</c> written to a private file (owner-only, owned by the silo's user) for as long as a
/// Kafka client uses it, and deleted afterwards.
/// </summary>
public sealed class KeytabFile : IDisposable
{
    private static readonly string Folder = Path.Combine(Path.GetTempPath(), "orleans-triggers-keytabs");

    private KeytabFile(string path) => FilePath = path;

    public string FilePath { get; }

    /// <summary>The keytab file a client should use: a temporary copy of <c>keytab_base64</c>, or null.</summary>
    public static KeytabFile? For(KafkaSecurity security)
    {
        if (string.IsNullOrEmpty(security.KeytabBase64)) return null;
        Directory.CreateDirectory(Folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var path = Path.Combine(Folder, $"{Guid.NewGuid():N}.keytab");
        using (var file = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        }))
            file.Write(Convert.FromBase64String(security.KeytabBase64));
        return new KeytabFile(path);
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
        try { File.Delete(FilePath); } catch (IOException) { }
    }
}
