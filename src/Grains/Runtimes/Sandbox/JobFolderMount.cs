using System.Globalization;
using System.Runtime.InteropServices;

namespace Triggers.Runtimes.Sandbox;

/// <summary>A job's folder as a size-limited tmpfs mounted over it (<see cref="SandboxOptions.JobDiskMb"/>): writes
/// beyond the size fail with "No space left on device" instead of filling the host's disk.</summary>
internal static class JobFolderMount
{
    private const ulong NoSetUid = 2, NoDevices = 4;
    private const int Detach = 2;

    /// <summary>Mounts an empty tmpfs of <paramref name="bytes"/> over <paramref name="folder"/>, owned by the silo and
    /// private to it until the job's user is given it.</summary>
    /// <exception cref="IOException">The mount was refused.</exception>
    public static void Mount(string folder, long bytes)
    {
        var options = string.Create(CultureInfo.InvariantCulture, $"size={bytes},mode=0700");
        if (MountFileSystem("tmpfs", folder, "tmpfs", NoSetUid | NoDevices, options) != 0)
            throw new IOException($"Could not mount a {bytes >> 20} MiB tmpfs on {folder}: {Marshal.GetLastPInvokeErrorMessage()}");
    }

    /// <summary>Detaches the tmpfs: a sandbox that still holds it keeps it until it ends, and its memory goes with it.</summary>
    public static void Unmount(string folder) => Unmount(folder, Detach);

    /// <summary>Why a job's folder cannot be a tmpfs here, or null once a trial mount worked.</summary>
    public static string? Problem(long bytes)
    {
        if (!OperatingSystem.IsLinux()) return "mounting one needs Linux";
        if (!Environment.IsPrivilegedProcess) return "mounting one needs a root silo";
        var trial = Directory.CreateTempSubdirectory("triggers-mount-trial-").FullName;
        try
        {
            Mount(trial, bytes);
            Unmount(trial);
            return null;
        }
        catch (IOException e)
        {
            return e.Message;
        }
        finally
        {
            Directory.Delete(trial);
        }
    }

    [DllImport("libc", EntryPoint = "mount", SetLastError = true)]
    private static extern int MountFileSystem(string source, string target, string type, ulong flags, string data);

    [DllImport("libc", EntryPoint = "umount2", SetLastError = true)]
    private static extern int Unmount(string target, int flags);
}
