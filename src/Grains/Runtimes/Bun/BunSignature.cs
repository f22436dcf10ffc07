using System.Text.RegularExpressions;
using Triggers.Scripts;

namespace Triggers.Runtimes.Bun;

/// <summary>Reads a TypeScript script's signature: its exported <c>main</c> and <c>preprocessor</c>.</summary>
internal static partial class BunSignature
{
    public static ScriptSignature Read(string content, bool mainOptional = false)
    {
        var code = Mask(content);
        var main = ExportedMain.Match(code);
        if (!main.Success && mainOptional && ExportedPreprocessor.IsMatch(code)) return new ScriptSignature([], HasPreprocessor: true, PreprocessorOnly: true);
        if (!main.Success)
            throw new ArgumentException(
                "A bun script must export a function named main: `export async function main(...)`.",
                nameof(content));

        var parameters = main.Groups["single"].Success
            ? [main.Groups["single"].Value]
            : ParameterList.Read(code, main.Index + main.Length, '<', angleBrackets: true)
                .Select(segment => ParameterName(segment.Trim()))
                .OfType<string>()
                .ToList();
        return new ScriptSignature(parameters, ExportedPreprocessor.IsMatch(code));
    }

    private static readonly Regex ExportedMain = ExportedFunction("main");
    private static readonly Regex ExportedPreprocessor = ExportedFunction("preprocessor");

    // `export [async] function name` or `export const name = [async] (...) =>` / `= [async] function (...)` /
    // `= [async] x =>`; the match ends where generics or the parameter list begin.
    private static Regex ExportedFunction(string name) => new(
        $$"""
        \bexport\s+(?:
            (?:async\s+)?function\s*\*?\s*{{name}}\s*
          | (?:const|let|var)\s+{{name}}\s*=\s*(?:async\b\s*)?(?:function\b\s*\*?\s*(?:[A-Za-z_$][\w$]*)?\s*)?
        )(?=[<(]|(?<single>[A-Za-z_$][\w$]*)\s*=>)
        """,
        RegexOptions.IgnorePatternWhitespace | RegexOptions.CultureInvariant);

    private static string? ParameterName(string parameter)
    {
        if (parameter.Length == 0) return null; // after a trailing comma
        if (parameter.StartsWith("...", StringComparison.Ordinal))
            throw new ArgumentException(
                $"main's rest parameter `{parameter}` cannot receive arguments by name; declare each argument as its own parameter.",
                "content");
        if (parameter[0] is '{' or '[')
            throw new ArgumentException(
                "main's parameters must be plain names (arguments are passed by parameter name), " +
                $"but one destructures: `{ParameterList.CollapseWhitespace(parameter)}`. Write `name: Type` and destructure inside main.",
                "content");

        var name = Parameter().Match(parameter);
        if (!name.Success)
            throw new ArgumentException($"Cannot read a parameter name from `{ParameterList.CollapseWhitespace(parameter)}` in main's parameter list.", "content");
        // `this: Type` only types the receiver; it is not an argument.
        return name.Groups["name"].Value == "this" ? null : name.Groups["name"].Value;
    }

    // Characters after which a `/` starts a regular expression literal rather than a division.
    private const string RegexCanFollow = "(,=:[!&|?{};+-*%<>~^";

    /// <summary>Blanks comments and the contents of string, template and regular expression literals (see
    /// <see cref="SourceMask"/>).</summary>
    private static string Mask(string source)
    {
        var code = source.ToCharArray();
        var previous = '\0'; // last significant character outside comments
        for (var i = 0; i < code.Length;)
        {
            var c = code[i];
            var next = i + 1 < code.Length ? code[i + 1] : '\0';
            if (c == '/' && next == '/') i = SourceMask.BlankUntil(code, i, "\n", inclusive: false);
            else if (c == '/' && next == '*') i = SourceMask.BlankUntil(code, i, "*/", inclusive: true);
            else if (c is '"' or '\'' or '`')
            {
                i = SourceMask.BlankQuoted(code, i, c.ToString(), multiline: c == '`');
                previous = c;
            }
            else if (c == '/' && (previous == '\0' || RegexCanFollow.Contains(previous)))
            {
                i = BlankRegex(code, i);
                previous = '/';
            }
            else
            {
                if (!char.IsWhiteSpace(c)) previous = c;
                i++;
            }
        }
        return new string(code);
    }

    private static int BlankRegex(char[] code, int open)
    {
        var inClass = false;
        var i = open + 1;
        while (i < code.Length && code[i] != '\n')
        {
            var c = code[i];
            if (c == '\\') { SourceMask.Blank(code, i++); if (i < code.Length) SourceMask.Blank(code, i++); continue; }
            if (c == '/' && !inClass) return i + 1;
            if (c == '[') inClass = true;
            else if (c == ']') inClass = false;
            SourceMask.Blank(code, i++);
        }
        return i;
    }

    [GeneratedRegex(@"^(?:(?:public|private|protected|readonly|override)\s+)*(?<name>[A-Za-z_$][\w$]*)\s*\??\s*(?:[:=]|$)", RegexOptions.CultureInvariant)]
    private static partial Regex Parameter();
}
