namespace Triggers.Runtimes.Sandbox;

/// <summary>A process and its descendants, read from /proc (a sandboxed job's interpreter is a grandchild of the
/// process the silo started).</summary>
internal static class ProcessTree
{
    /// <summary>The resident memory of <paramref name="rootPid"/> and every process below it, in bytes.</summary>
    public static long ResidentBytes(int rootPid) => Descendants(rootPid).Prepend(rootPid).Sum(ResidentBytesOf);

    private static IEnumerable<int> Descendants(int pid)
    {
        var pending = new Stack<int>([pid]);
        while (pending.TryPop(out var parent))
            foreach (var child in ChildrenOf(parent))
            {
                yield return child;
                pending.Push(child);
            }
    }

    private static IEnumerable<int> ChildrenOf(int pid)
    {
        try
        {
            // Each thread lists the children it started.
            return Directory.EnumerateDirectories($"/proc/{pid}/task")
                .SelectMany(task => File.ReadAllText(Path.Combine(task, "children")).Split(' ', StringSplitOptions.RemoveEmptyEntries))
                .Select(int.Parse)
                .ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException) { return []; }
    }

    private static long ResidentBytesOf(int pid)
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
            return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException) { return 0; }
    }
}
