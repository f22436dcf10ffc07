using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Triggers.Runtimes.Sandbox;

/// <summary>
/// Reads files from a folder a job could write to (its result, a package install's lock file). The job may have put a
/// symbolic link where the file or its folder should be, hoping the silo, which may be root, reads a host file for it
/// and hands the content back as the job's result. The file is opened through openat2 with every link refused on the
/// way below the folder's parent, which the job cannot change, so there is no gap between a check and the open.
/// </summary>
internal static class JobFiles
{
    /// <summary>The regular file <paramref name="name"/> in <paramref name="directory"/>, open for reading, or null when
    /// there is none.</summary>
    /// <exception cref="JobFileRefusedException">A link is on the way, or it is not a regular file (a FIFO, say).</exception>
    public static FileStream? OpenRead(string directory, string name)
    {
        var full = Path.GetFullPath(directory);
        var parent = Path.GetDirectoryName(full) ?? throw new ArgumentException($"{directory} has no parent folder.", nameof(directory));
        var relative = Path.Combine(Path.GetFileName(full), name);
        var handle = OperatingSystem.IsLinux() ? OpenBeneath(parent, relative) : OpenChecked(full, name);
        if (handle is null) return null;
        var stream = new FileStream(handle, FileAccess.Read, bufferSize: 1);
        // A FIFO cannot seek (and would block a read); nothing else that open() gives back is seekable but a file.
        if (!stream.CanSeek)
        {
            stream.Dispose();
            throw new JobFileRefusedException($"{name} is not a regular file");
        }
        return stream;
    }

    private static SafeFileHandle? OpenBeneath(string parent, string relative)
    {
        // .NET opens no directories, so the parent's descriptor comes from open(2) itself.
        using var folder = new SafeFileHandle(Open(parent, (int)(PathOnly | DirectoryOnly | CloseOnExec)), ownsHandle: true);
        if (folder.IsInvalid) throw new IOException($"Could not open the folder {parent}: errno {Marshal.GetLastPInvokeError()}");
        var how = new OpenHow { Flags = ReadOnly | NonBlocking | CloseOnExec, Resolve = NoSymlinks | NoMagicLinks | Beneath };
        var fd = (int)OpenAt2(SysOpenAt2, (int)folder.DangerousGetHandle(), relative, ref how, (nuint)Marshal.SizeOf<OpenHow>());
        if (fd >= 0) return new SafeFileHandle(fd, ownsHandle: true);
        return Marshal.GetLastPInvokeError() switch
        {
            NoSuchFile => null,
            TooManyLinks or CrossDevice => throw new JobFileRefusedException($"{relative} passes through a symbolic link"),
            NotImplemented => OpenChecked(Path.Combine(parent, Path.GetDirectoryName(relative)!), Path.GetFileName(relative)),
            var errno => throw new IOException($"Could not open {relative} in {parent}: errno {errno}"),
        };
    }

    /// <summary>Where openat2 is missing (before Linux 5.6): each level checked, then opened. Called only once the job's
    /// processes have all ended, so nothing can change the files between the check and the open.</summary>
    private static SafeFileHandle? OpenChecked(string directory, string name)
    {
        if (new DirectoryInfo(directory).LinkTarget is not null) throw new JobFileRefusedException($"{Path.GetFileName(directory)} is a symbolic link");
        var file = new FileInfo(Path.Combine(directory, name));
        if (file.LinkTarget is not null) throw new JobFileRefusedException($"{name} is a symbolic link");
        return file.Exists ? File.OpenHandle(file.FullName, FileMode.Open, FileAccess.Read, FileShare.ReadWrite) : null;
    }

    private const long SysOpenAt2 = 437; // the same number on x86-64 and arm64
    private const ulong ReadOnly = 0, NonBlocking = 0x800, DirectoryOnly = 0x10000, CloseOnExec = 0x80000, PathOnly = 0x200000;
    private const ulong NoMagicLinks = 0x02, NoSymlinks = 0x04, Beneath = 0x08;
    private const int NoSuchFile = 2, CrossDevice = 18, NotImplemented = 38, TooManyLinks = 40;

    [StructLayout(LayoutKind.Sequential)]
    private struct OpenHow
    {
        public ulong Flags;
        public ulong Mode;
        public ulong Resolve;
    }

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int Open(string path, int flags);

    [DllImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static extern long OpenAt2(long number, int directoryFd, string path, ref OpenHow how, nuint size);
}

/// <summary>A file a job left was not read, because reading it could have reached outside the job's folder.</summary>
public sealed class JobFileRefusedException(string message) : IOException(message);
