using System.Text.RegularExpressions;

namespace Triggers.Runtimes.Python;

/// <summary>
/// The packages a Python script needs, as requirement lines for pip. A <c># requirements:</c> comment block (one
/// requirement per following comment line) says it all. Otherwise each top-level module the script imports outside
/// the standard library names a package (<c>yaml</c> → <c>PyYAML</c> and the like), pinned by a requirement in a
/// comment on its import line: <c>import yaml  # PyYAML==6.0.1</c>.
/// </summary>
internal static partial class PythonImports
{
    public static IReadOnlyList<string> Infer(string content)
    {
        if (RequirementsBlock(content) is { } block) return block;
        var requirements = new SortedDictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (Match import in Import().Matches(content))
        {
            var pin = import.Groups["pin"].Success ? import.Groups["pin"].Value.Trim() : null;
            var modules = import.Groups["from"].Success
                ? [import.Groups["from"].Value]
                : import.Groups["names"].Value.Split(',').Select(n => n.Trim().Split(' ', 2)[0]);
            foreach (var module in modules.Select(m => m.Split('.')[0]).Where(m => m.Length > 0 && !StandardLibrary.Contains(m) && !WorkspaceImports.PythonRoots.Contains(m)))
            {
                var package = PackageNames.GetValueOrDefault(module, module);
                requirements[package] = pin is not null && RequirementName(pin).Equals(package, StringComparison.OrdinalIgnoreCase) ? pin : package;
            }
        }
        return [.. requirements.Values];
    }

    /// <summary>The lines after <c># requirements:</c> up to the first line that is not a comment.</summary>
    private static List<string>? RequirementsBlock(string content)
    {
        var lines = content.Split('\n').Select(l => l.Trim()).ToList();
        var start = lines.FindIndex(l => RequirementsHeader().IsMatch(l));
        if (start < 0) return null;
        return lines.Skip(start + 1)
            .TakeWhile(l => l.StartsWith('#'))
            .Select(l => l.TrimStart('#').Trim())
            .Where(l => l.Length > 0)
            .ToList();
    }

    /// <summary>A requirement as PEP 508 writes one from a registry: a name, extras, version specifiers and environment
    /// markers; nothing that pip reads as an option (<c>--index-url</c>, <c>-e</c>) or a location.</summary>
    public static bool IsPlainRequirement(string requirement) => PlainRequirement().IsMatch(requirement);

    /// <summary>A direct reference, <c>name @ https://…</c> (or <c>git+https://…</c>).</summary>
    public static bool IsUrlRequirement(string requirement) => UrlRequirement().IsMatch(requirement);

    [GeneratedRegex(@"^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?(?:\[[A-Za-z0-9._,\s-]*\])?\s*(?:(?:===|==|!=|~=|>=|<=|<|>)\s*[A-Za-z0-9.*+!_-]+\s*(?:,\s*(?:===|==|!=|~=|>=|<=|<|>)\s*[A-Za-z0-9.*+!_-]+\s*)*)?(?:;\s*[A-Za-z0-9_.'""<>=!~ ()-]+)?$")]
    private static partial Regex PlainRequirement();

    [GeneratedRegex(@"^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?(?:\[[A-Za-z0-9._,\s-]*\])?\s*@\s*(?:git\+)?https?://\S+$")]
    private static partial Regex UrlRequirement();

    /// <summary>The distribution a requirement line names (<c>PyYAML</c> for <c>PyYAML==6.0.1</c>).</summary>
    public static string RequirementName(string requirement) => RequirementNamePart().Match(requirement).Value;

    // import a, b.c as d   |   from a.b import c   — at any indentation, with an optional trailing "# requirement".
    [GeneratedRegex(@"^[ \t]*(?:from[ \t]+(?<from>[A-Za-z_]\w*)(?:\.[\w.]*)?[ \t]+import\b[^#\n]*|import[ \t]+(?<names>[A-Za-z_][\w.]*(?:[ \t]+as[ \t]+\w+)?(?:[ \t]*,[ \t]*[A-Za-z_][\w.]*(?:[ \t]+as[ \t]+\w+)?)*))[ \t]*(?:#[ \t]*(?<pin>[A-Za-z0-9][\w.\-\[\]]*[ \t]*(?:==|>=|<=|~=|!=|<|>)[^\n#]*))?", RegexOptions.Multiline)]
    private static partial Regex Import();

    [GeneratedRegex(@"^#\s*requirements\s*:?\s*$", RegexOptions.IgnoreCase)]
    private static partial Regex RequirementsHeader();

    [GeneratedRegex(@"^[A-Za-z0-9][\w.\-]*")]
    private static partial Regex RequirementNamePart();

    private static readonly HashSet<string> StandardLibrary = LoadStandardLibrary();

    private static HashSet<string> LoadStandardLibrary()
    {
        using var stream = typeof(PythonImports).Assembly.GetManifestResourceStream(typeof(PythonImports), "stdlib-modules.txt")
            ?? throw new InvalidOperationException("The embedded list of Python's standard library modules is missing from the build.");
        using var reader = new StreamReader(stream);
        return [.. reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
    }

    /// <summary>Import names whose package on the index is called something else.</summary>
    private static readonly Dictionary<string, string> PackageNames = new()
    {
        ["yaml"] = "PyYAML", ["bs4"] = "beautifulsoup4", ["PIL"] = "Pillow", ["sklearn"] = "scikit-learn",
        ["cv2"] = "opencv-python", ["dateutil"] = "python-dateutil", ["dotenv"] = "python-dotenv", ["jwt"] = "PyJWT",
        ["attr"] = "attrs", ["Crypto"] = "pycryptodome", ["magic"] = "python-magic", ["serial"] = "pyserial",
        ["psycopg2"] = "psycopg2-binary", ["kafka"] = "kafka-python", ["confluent_kafka"] = "confluent-kafka",
        ["MySQLdb"] = "mysqlclient", ["docx"] = "python-docx", ["pptx"] = "python-pptx", ["git"] = "GitPython",
        ["googleapiclient"] = "google-api-python-client", ["fitz"] = "PyMuPDF", ["slugify"] = "python-slugify",
        ["multipart"] = "python-multipart", ["jose"] = "python-jose", ["telegram"] = "python-telegram-bot",
        ["dns"] = "dnspython", ["OpenSSL"] = "pyOpenSSL", ["zmq"] = "pyzmq", ["usb"] = "pyusb", ["snowflake"] = "snowflake-connector-python",
    };
}
