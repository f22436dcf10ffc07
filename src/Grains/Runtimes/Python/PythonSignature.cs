using System.Text.RegularExpressions;
using Triggers.Scripts;

namespace Triggers.Runtimes.Python;

/// <summary>Reads a Python script's signature: its top-level <c>main</c> and <c>preprocessor</c>.</summary>
internal static partial class PythonSignature
{
    public static ScriptSignature Read(string content, bool mainOptional = false)
    {
        var code = Mask(content);
        var main = TopLevelMain.Match(code);
        if (!main.Success && mainOptional && TopLevelPreprocessor.IsMatch(code)) return new ScriptSignature([], HasPreprocessor: true, PreprocessorOnly: true);
        if (!main.Success)
            throw new ArgumentException(
                "A python3 script must define a top-level function named main: `def main(...):`.",
                nameof(content));

        var parameters = ParameterList.Read(code, main.Index + main.Length, '[', angleBrackets: false)
            .Select(segment => ParameterName(segment.Trim()))
            .OfType<string>()
            .ToList();
        return new ScriptSignature(parameters, TopLevelPreprocessor.IsMatch(code));
    }

    private static readonly Regex TopLevelMain = TopLevelFunction("main");
    private static readonly Regex TopLevelPreprocessor = TopLevelFunction("preprocessor");

    // Column 0 only: a nested or method `def main` is not the script's entry point.
    private static Regex TopLevelFunction(string name) => new(
        $@"^(?:async[ \t]+)?def[ \t]+{name}[ \t]*(?=[(\[])",
        RegexOptions.Multiline | RegexOptions.CultureInvariant);

    private static string? ParameterName(string parameter)
    {
        // Empty after a trailing comma; `/` and bare `*` are markers; `*args`/`**kwargs` have no name a
        // caller could bind to, so they are simply not part of the signature.
        if (parameter.Length == 0 || parameter is "/" || parameter.StartsWith('*')) return null;

        var name = Parameter().Match(parameter);
        return name.Success
            ? name.Groups["name"].Value
            : throw new ArgumentException($"Cannot read a parameter name from `{ParameterList.CollapseWhitespace(parameter)}` in main's parameter list.", "content");
    }

    /// <summary>Blanks comments and the contents of string literals, triple-quoted ones included (see
    /// <see cref="SourceMask"/>).</summary>
    private static string Mask(string source)
    {
        var code = source.ToCharArray();
        for (var i = 0; i < code.Length;)
        {
            var c = code[i];
            if (c == '#') i = SourceMask.BlankUntil(code, i, "\n", inclusive: false);
            else if (c is '"' or '\'')
            {
                var triple = new string(c, 3);
                var isTriple = i + 3 <= code.Length && new string(code, i, 3) == triple;
                i = SourceMask.BlankQuoted(code, i, isTriple ? triple : c.ToString(), multiline: isTriple);
            }
            else i++;
        }
        return new string(code);
    }

    [GeneratedRegex(@"^(?<name>[^\W\d]\w*)\s*(?:[:=]|$)", RegexOptions.CultureInvariant)]
    private static partial Regex Parameter();
}
