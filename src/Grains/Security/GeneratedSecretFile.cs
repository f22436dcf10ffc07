namespace Triggers.Security;

/// <summary>
/// A secret the service makes up itself when none is configured (the stored-secrets key, the admin token), kept in an
/// owner-only file so that it survives restarts and every silo on the machine uses the same one.
/// </summary>
public static class GeneratedSecretFile
{
    /// <summary>The file's text; when there is no file yet, <paramref name="generate"/>'s value, written to it first.</summary>
    /// <param name="created">Told the file's full path when this call created it.</param>
    public static string LoadOrCreate(string path, Func<string> generate, Action<string> created)
    {
        var full = Path.GetFullPath(path);
        if (!File.Exists(full))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            try
            {
                // Locked while written (FileShare.None), so another silo starting at the same moment cannot read it half made.
                using (var file = new FileStream(full, new FileStreamOptions
                       {
                           Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None,
                           UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
                       }))
                    file.Write(System.Text.Encoding.ASCII.GetBytes(generate()));
                created(full);
            }
            catch (IOException) when (File.Exists(full)) { } // another silo on this machine made it first
        }
        return ReadWhenWritten(full);
    }

    /// <summary>The file's text, once whoever creates it has written it (a moment at most).</summary>
    private static string ReadWhenWritten(string path)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            try
            {
                if (File.ReadAllText(path).Trim() is { Length: > 0 } secret) return secret;
            }
            catch (IOException) when (waited.Elapsed < TimeSpan.FromSeconds(5)) { } // still locked by its writer
            if (waited.Elapsed >= TimeSpan.FromSeconds(5))
                throw new InvalidOperationException($"The file {path} stays empty; delete it to have a new secret generated, or configure one.");
            Thread.Sleep(10);
        }
    }
}
