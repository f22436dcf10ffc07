using System.Runtime.InteropServices;
using Triggers.Runtimes.Sandbox;

namespace Triggers.Runtimes.Dependencies;

/// <summary>
/// Folders whose contents other users must not be able to change: the dependency cache, whose packages run inside
/// every workspace's jobs. Checked on every part of the path, because a folder anyone can write to lets them rename
/// what is below it; and installed sets are sealed (the silo's, read-only) once complete, because the jobs' user wrote them.
/// </summary>
internal static class OwnedFolders
{
    private const uint Root = 0;

    /// <summary>Creates <paramref name="path"/> if needed and checks that neither it nor any folder above it can be changed
    /// by another user: each belongs to root or the silo's user, and none is writable by group or others, but for a
    /// sticky folder of root's (<c>/tmp</c>), where others cannot rename what is not theirs.</summary>
    /// <exception cref="InvalidOperationException">A folder on the way fails that, named with the setting to change.</exception>
    public static void Require(string path, string setting)
    {
        if (!OperatingSystem.IsLinux()) { Directory.CreateDirectory(path); return; }
        var self = (uint)HostUser.Id;
        var full = Path.GetFullPath(path);
        var fresh = !Directory.Exists(full);
        Directory.CreateDirectory(full);
        if (fresh) File.SetUnixFileMode(full, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        for (var folder = full; folder is not null; folder = Path.GetDirectoryName(folder))
        {
            var (owner, mode) = Stat(folder);
            var others = mode & ((uint)UnixFileMode.GroupWrite | (uint)UnixFileMode.OtherWrite);
            var sticky = (mode & (uint)UnixFileMode.StickyBit) != 0;
            string? problem = owner != Root && owner != self ? $"belongs to uid {owner}, neither root nor this silo's user"
                : folder == full && owner != self ? "belongs to root, not to this silo's user"
                : others != 0 && !(sticky && owner == Root && folder != full) ? "can be written by other users"
                : null;
            if (problem is not null)
                throw new InvalidOperationException(
                    $"The folder {folder} {problem}, so another user could change the packages that jobs run from {full}. " +
                    $"Fix its owner or permissions, or choose another folder with {setting}.");
        }
    }

    /// <summary>Gives the tree to the silo's user, without following links, and takes every write permission away.</summary>
    public static void Seal(string directory) => Walk(directory, path =>
    {
        if (Environment.IsPrivilegedProcess) HostUser.GiveLink(path, HostUser.Id, HostUser.GroupId);
        if (new FileInfo(path).LinkTarget is null && !OperatingSystem.IsWindows())
            File.SetUnixFileMode(path, File.GetUnixFileMode(path) & ~(UnixFileMode.UserWrite | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite));
    });

    /// <summary>Gives the silo's user write permission on the tree's folders again, so that it can delete it.</summary>
    public static void Unseal(string directory)
    {
        if (OperatingSystem.IsWindows()) return;
        Walk(directory, path =>
        {
            if (Directory.Exists(path) && new DirectoryInfo(path).LinkTarget is null)
                File.SetUnixFileMode(path, File.GetUnixFileMode(path) | UnixFileMode.UserWrite);
        });
    }

    /// <summary>Calls <paramref name="act"/> on every entry below <paramref name="directory"/> and then on it; links are
    /// entries, never followed.</summary>
    private static void Walk(string directory, Action<string> act)
    {
        foreach (var entry in new DirectoryInfo(directory).EnumerateFileSystemInfos("*", new EnumerationOptions { AttributesToSkip = 0 }))
        {
            if (entry is DirectoryInfo { LinkTarget: null } folder) Walk(folder.FullName, act);
            else act(entry.FullName);
        }
        act(directory);
    }

    private static (uint Owner, uint Mode) Stat(string path)
    {
        var buffer = new byte[256]; // struct statx: the same layout on every architecture
        if (StatX(-100 /* AT_FDCWD */, path, 0, 0x0fff /* STATX_BASIC_STATS */, buffer) != 0)
            throw new IOException($"Could not stat {path}: errno {Marshal.GetLastPInvokeError()}");
        return (BitConverter.ToUInt32(buffer, 20), BitConverter.ToUInt16(buffer, 28));
    }

    [DllImport("libc", EntryPoint = "statx", SetLastError = true)]
    private static extern int StatX(int directoryFd, string path, int flags, uint mask, byte[] buffer);
}
