using System.Runtime.InteropServices;

namespace Triggers.Runtimes.Sandbox;

/// <summary>The silo's own user and group on the host, and handing a file to a user without following a link.</summary>
internal static class HostUser
{
    public static int Id => (int)GetUserId();

    public static int GroupId => (int)GetGroupId();

    /// <summary>lchown: a link is given away itself, never what it points to. False (errno set) when it fails.</summary>
    public static bool GiveLink(string path, int owner, int group) => ChangeLinkOwner(path, owner, group) == 0;

    [DllImport("libc", EntryPoint = "getuid")]
    private static extern uint GetUserId();

    [DllImport("libc", EntryPoint = "getgid")]
    private static extern uint GetGroupId();

    [DllImport("libc", EntryPoint = "lchown", SetLastError = true)]
    private static extern int ChangeLinkOwner(string path, int owner, int group);
}
