namespace Triggers.Runtimes;

/// <summary>A job's private working directory (mode 0700), also its HOME and TMPDIR; deleted with everything in it
/// when disposed.</summary>
internal sealed class JobDirectory : IDisposable
{
    private readonly bool _deleteOnDispose;
    private readonly bool _mounted;

    private JobDirectory(string path, bool deleteOnDispose = true, bool mounted = false)
    {
        Path = path;
        _deleteOnDispose = deleteOnDispose;
        _mounted = mounted;
    }

    public string Path { get; }

    /// <param name="sizeBytes">When positive, the directory is a tmpfs of this size (<see cref="Sandbox.JobFolderMount"/>).</param>
    public static JobDirectory Create(string prefix = "triggers-job-", long sizeBytes = 0)
    {
        var path = Directory.CreateTempSubdirectory(prefix).FullName;
        if (sizeBytes <= 0) return new JobDirectory(path);
        try
        {
            Sandbox.JobFolderMount.Mount(path, sizeBytes);
            return new JobDirectory(path, mounted: true);
        }
        catch
        {
            Directory.Delete(path);
            throw;
        }
    }

    /// <summary>A new directory in a job launcher's <paramref name="folder"/>, which the launcher empties before its next
    /// job starts (and deletes with itself): disposing it leaves it there, so the silo spends nothing on it.</summary>
    public static JobDirectory CreateIn(string folder)
    {
        var path = System.IO.Path.Combine(folder, "job-" + Guid.NewGuid().ToString("N"));
        if (OperatingSystem.IsWindows()) Directory.CreateDirectory(path);
        else Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return new JobDirectory(path, deleteOnDispose: false);
    }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        if (!_deleteOnDispose) return;
        // What the job left goes with the tmpfs, without a walk through it.
        if (_mounted)
        {
            Sandbox.JobFolderMount.Unmount(Path);
            try { Directory.Delete(Path); }
            catch (IOException) { }
            return;
        }
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The job may have left read-only or inaccessible directories behind (chmod 000).
            MakeOwnerAccessible(Path);
            try { Directory.Delete(Path, recursive: true); }
            catch (Exception again) when (again is IOException or UnauthorizedAccessException) { }
        }
    }

    private static void MakeOwnerAccessible(string directory)
    {
        if (OperatingSystem.IsWindows()) return;
        try
        {
            System.IO.File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            foreach (var child in Directory.EnumerateDirectories(directory))
                if (!new DirectoryInfo(child).Attributes.HasFlag(FileAttributes.ReparsePoint))
                    MakeOwnerAccessible(child);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }
}
