namespace Triggers.Runtimes;

/// <summary>Turns a configured command (<c>bun</c>, <c>/opt/bun/bin/bun</c>) into the file to execute.</summary>
internal static class ExecutableLocator
{
    /// <returns>An absolute path, or null when there is no such executable.</returns>
    public static string? Find(string command)
    {
        if (command.Contains('/'))
        {
            var path = Path.GetFullPath(command);
            return IsExecutable(path) ? path : null;
        }

        // The jobs' own PATH comes first so a job runs the interpreter it would find itself (e.g. /usr/bin/python3
        // rather than a pyenv shim that needs the host's environment).
        var searchPath = $"{JobProcess.SearchPath}:{Environment.GetEnvironmentVariable("PATH")}";
        return searchPath.Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => Path.Combine(directory, command))
            .FirstOrDefault(IsExecutable);
    }

    private static bool IsExecutable(string path) =>
        File.Exists(path)
        && (OperatingSystem.IsWindows() || (File.GetUnixFileMode(path) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0);
}
