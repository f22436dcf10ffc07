using System.Text.RegularExpressions;
using Triggers.Scripts;

namespace Triggers.Runtimes;

/// <summary>
/// The other scripts of its workspace that a script imports, as Windmill writes it: Bun imports them by absolute
/// path (<c>import { f } from "/f/team/helpers"</c>), Python as modules of the <c>f</c> and <c>u</c> packages
/// (<c>from f.team.helpers import f</c>). A job runs with the latest version of each, beside the script.
/// </summary>
public static partial class WorkspaceImports
{
    /// <summary>The top-level names under which Python imports workspace scripts, never packages.</summary>
    public static readonly IReadOnlySet<string> PythonRoots = new HashSet<string> { "f", "u" };

    /// <summary>The workspace paths (<c>f/team/helpers</c>) the script imports, in order of first appearance.</summary>
    public static IReadOnlyList<string> Of(ScriptLanguage language, string content) => language switch
    {
        ScriptLanguage.Bun => BunImport().Matches(content).Select(m => StripExtension(m.Groups[1].Value)).Distinct().ToList(),
        ScriptLanguage.Python3 => PythonImport().Matches(content).Select(m => m.Groups[1].Value.Replace('.', '/')).Distinct().ToList(),
        _ => [],
    };

    /// <summary>The file a workspace script is written to in a job's directory, relative to it.</summary>
    public static string FileOf(ScriptLanguage language, string path) => language == ScriptLanguage.Bun ? $"{path}.ts" : $"{path}.py";

    private static string StripExtension(string path) => path.EndsWith(".ts", StringComparison.Ordinal) ? path[..^3] : path;

    [GeneratedRegex("""(?:\bfrom\s*|\bimport\s*\(?\s*)["']/((?:f|u)/[\w.\-/]+)["']""")]
    private static partial Regex BunImport();

    [GeneratedRegex(@"^[ \t]*(?:from|import)[ \t]+((?:f|u)(?:\.\w+)+)", RegexOptions.Multiline)]
    private static partial Regex PythonImport();
}
