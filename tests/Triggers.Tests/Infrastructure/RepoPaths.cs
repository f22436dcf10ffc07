namespace Triggers.Tests.Infrastructure;

/// <summary>Locations in the repository the tests run from.</summary>
public static class RepoPaths
{
    /// <summary>The directory holding Orleans.Triggers.sln, found by walking up from the test binaries.</summary>
    public static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
            if (File.Exists(Path.Combine(directory.FullName, "Orleans.Triggers.sln")))
                return directory.FullName;
        throw new InvalidOperationException($"No Orleans.Triggers.sln above {AppContext.BaseDirectory}.");
    }
}
