using System.Text.RegularExpressions;
using Triggers.Scripts;

namespace Triggers.Runtimes;

/// <summary>Reads a script's <see cref="ScriptSignature"/> from its source text, without running it.</summary>
/// <remarks>
/// Pattern-based rather than a real parser. To keep the patterns honest, comments and the insides of string
/// literals are first blanked out (same length, newlines kept), so brackets, commas or a commented-out
/// <c>main</c> inside them cannot mislead the search; positions in the blanked text are positions in the source.
/// </remarks>
public static partial class ScriptAnalyzer
{
    /// <exception cref="ArgumentException">The script has no <c>main</c>, or <c>main</c> has parameters that
    /// cannot receive arguments by name.</exception>
    public static ScriptSignature Analyze(ScriptLanguage language, string content)
    {
        ArgumentNullException.ThrowIfNull(content);
        return language switch
        {
            ScriptLanguage.Bun => TypeScript.Analyze(content),
            ScriptLanguage.Python3 => Python.Analyze(content),
            ScriptLanguage.Bash => Bash.Analyze(content),
            _ => throw new ArgumentOutOfRangeException(nameof(language), language, "Unknown script language."),
        };
    }

    private static class TypeScript
    {
        public static ScriptSignature Analyze(string content)
        {
            var code = SourceMask.TypeScript(content);
            var main = ExportedMain.Match(code);
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
                    $"but one destructures: `{CollapseWhitespace(parameter)}`. Write `name: Type` and destructure inside main.",
                    "content");

            var name = TypeScriptParameter().Match(parameter);
            if (!name.Success)
                throw new ArgumentException($"Cannot read a parameter name from `{CollapseWhitespace(parameter)}` in main's parameter list.", "content");
            // `this: Type` only types the receiver; it is not an argument.
            return name.Groups["name"].Value == "this" ? null : name.Groups["name"].Value;
        }
    }

    private static class Python
    {
        public static ScriptSignature Analyze(string content)
        {
            var code = SourceMask.Python(content);
            var main = TopLevelMain.Match(code);
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

            var name = PythonParameter().Match(parameter);
            return name.Success
                ? name.Groups["name"].Value
                : throw new ArgumentException($"Cannot read a parameter name from `{CollapseWhitespace(parameter)}` in main's parameter list.", "content");
        }
    }

    private static class Bash
    {
        // A bash script has no main: its parameters are the positional ones, named by convention with
        // top-level lines `name="$1"` or `name="${1:-default}"` (indented ones are usually inside functions,
        // whose $1 is not the script's).
        public static ScriptSignature Analyze(string content)
        {
            var namesByPosition = new SortedDictionary<int, string>();
            foreach (Match line in BashPositionalParameter().Matches(content))
            {
                var position = int.Parse(line.Groups["position"].Value, System.Globalization.CultureInfo.InvariantCulture);
                namesByPosition.TryAdd(position, line.Groups["name"].Value);
            }

            var highestPosition = namesByPosition.Count == 0 ? 0 : namesByPosition.Keys.Last();
            var parameters = new List<string>();
            for (var position = 1; position <= highestPosition; position++)
            {
                if (!namesByPosition.TryGetValue(position, out var name))
                    throw new ArgumentException(
                        $"bash parameter ${position} has no name, so no argument can be passed to it; add a line " +
                        $"`name=\"${position}\"` (or `name=\"${{{position}:-default}}\"`) before using it.",
                        nameof(content));
                parameters.Add(name);
            }
            return new ScriptSignature(parameters, HasPreprocessor: false);
        }
    }

    /// <summary>Finds a parameter list by bracket matching and splits it at its top-level commas.</summary>
    private static class ParameterList
    {
        /// <param name="code">Masked source.</param>
        /// <param name="start">Just after the function name: generics (opening with <paramref name="genericsOpen"/>)
        /// may come before the parenthesis.</param>
        /// <param name="angleBrackets">Whether <c>&lt;…&gt;</c> nest (TypeScript generics such as
        /// <c>Record&lt;string, number&gt;</c> contain commas).</param>
        public static IEnumerable<string> Read(string code, int start, char genericsOpen, bool angleBrackets)
        {
            var position = SkipWhitespace(code, start);
            if (position < code.Length && code[position] == genericsOpen)
                position = SkipWhitespace(code, SkipBalanced(code, position, angleBrackets) + 1);
            if (position >= code.Length || code[position] != '(')
                throw new ArgumentException("Cannot find main's parameter list: expected `(` after `main`.", "content");

            var close = SkipBalanced(code, position, angleBrackets);
            var segmentStart = position + 1;
            var depth = 0;
            for (var i = position + 1; i < close; i++)
            {
                if (Opens(code, i, angleBrackets)) depth++;
                else if (Closes(code, i, angleBrackets)) depth = Math.Max(0, depth - 1);
                else if (code[i] == ',' && depth == 0)
                {
                    yield return code[segmentStart..i];
                    segmentStart = i + 1;
                }
            }
            yield return code[segmentStart..close];
        }

        /// <returns>The index of the bracket that closes the one at <paramref name="open"/>.</returns>
        private static int SkipBalanced(string code, int open, bool angleBrackets)
        {
            var depth = 0;
            for (var i = open; i < code.Length; i++)
            {
                if (Opens(code, i, angleBrackets)) depth++;
                else if (Closes(code, i, angleBrackets) && --depth == 0) return i;
            }
            throw new ArgumentException($"main's parameter list is never closed: a closing bracket for `{code[open]}` is missing.", "content");
        }

        private static bool Opens(string code, int i, bool angleBrackets) =>
            code[i] is '(' or '[' or '{' || (angleBrackets && code[i] == '<');

        // The `>` of an arrow `=>` in a function type closes nothing.
        private static bool Closes(string code, int i, bool angleBrackets) =>
            code[i] is ')' or ']' or '}' || (angleBrackets && code[i] == '>' && (i == 0 || code[i - 1] != '='));

        private static int SkipWhitespace(string code, int i)
        {
            while (i < code.Length && char.IsWhiteSpace(code[i])) i++;
            return i;
        }
    }

    /// <summary>Blanks comments and string-literal contents, keeping length, quotes and newlines.</summary>
    private static class SourceMask
    {
        // Characters after which a `/` starts a regular expression literal rather than a division.
        private const string RegexCanFollow = "(,=:[!&|?{};+-*%<>~^";

        public static string TypeScript(string source)
        {
            var code = source.ToCharArray();
            var previous = '\0'; // last significant character outside comments
            for (var i = 0; i < code.Length;)
            {
                var c = code[i];
                var next = i + 1 < code.Length ? code[i + 1] : '\0';
                if (c == '/' && next == '/') i = BlankUntil(code, i, "\n", inclusive: false);
                else if (c == '/' && next == '*') i = BlankUntil(code, i, "*/", inclusive: true);
                else if (c is '"' or '\'' or '`')
                {
                    i = BlankQuoted(code, i, c.ToString(), multiline: c == '`');
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

        public static string Python(string source)
        {
            var code = source.ToCharArray();
            for (var i = 0; i < code.Length;)
            {
                var c = code[i];
                if (c == '#') i = BlankUntil(code, i, "\n", inclusive: false);
                else if (c is '"' or '\'')
                {
                    var triple = new string(c, 3);
                    var isTriple = i + 3 <= code.Length && new string(code, i, 3) == triple;
                    i = BlankQuoted(code, i, isTriple ? triple : c.ToString(), multiline: isTriple);
                }
                else i++;
            }
            return new string(code);
        }

        private static int BlankUntil(char[] code, int start, string end, bool inclusive)
        {
            var i = start;
            while (i < code.Length && !At(code, i, end)) Blank(code, i++);
            if (inclusive && i < code.Length)
                for (var k = 0; k < end.Length; k++) Blank(code, i++);
            return i;
        }

        /// <returns>The index after the closing quote (or where an unterminated literal stops).</returns>
        private static int BlankQuoted(char[] code, int open, string quote, bool multiline)
        {
            var i = open + quote.Length;
            while (i < code.Length)
            {
                if (code[i] == '\\')
                {
                    Blank(code, i++);
                    if (i < code.Length) Blank(code, i++);
                }
                else if (At(code, i, quote)) return i + quote.Length;
                else if (code[i] == '\n' && !multiline) return i;
                else Blank(code, i++);
            }
            return i;
        }

        private static int BlankRegex(char[] code, int open)
        {
            var inClass = false;
            var i = open + 1;
            while (i < code.Length && code[i] != '\n')
            {
                var c = code[i];
                if (c == '\\') { Blank(code, i++); if (i < code.Length) Blank(code, i++); continue; }
                if (c == '/' && !inClass) return i + 1;
                if (c == '[') inClass = true;
                else if (c == ']') inClass = false;
                Blank(code, i++);
            }
            return i;
        }

        private static bool At(char[] code, int i, string text) =>
            i + text.Length <= code.Length && code.AsSpan(i, text.Length).SequenceEqual(text);

        private static void Blank(char[] code, int i)
        {
            if (code[i] != '\n') code[i] = ' ';
        }
    }

    private static string CollapseWhitespace(string text) => WhitespaceRun().Replace(text, " ");

    [GeneratedRegex(@"^(?:(?:public|private|protected|readonly|override)\s+)*(?<name>[A-Za-z_$][\w$]*)\s*\??\s*(?:[:=]|$)", RegexOptions.CultureInvariant)]
    private static partial Regex TypeScriptParameter();

    [GeneratedRegex(@"^(?<name>[^\W\d]\w*)\s*(?:[:=]|$)", RegexOptions.CultureInvariant)]
    private static partial Regex PythonParameter();

    [GeneratedRegex("""
        ^(?<name>[A-Za-z_][A-Za-z0-9_]*)=
        (?: "\$(?<position>[1-9])" | \$(?<position>[1-9])(?![0-9])
          | "\$\{(?<position>[1-9][0-9]*)(?::?-.*)?\}" | \$\{(?<position>[1-9][0-9]*)(?::?-[^}\s]*)?\} )
        [ \t]*(?:[;#].*)?\r?$
        """, RegexOptions.Multiline | RegexOptions.IgnorePatternWhitespace | RegexOptions.CultureInvariant)]
    private static partial Regex BashPositionalParameter();

    [GeneratedRegex(@"\s+")]
    private static partial Regex WhitespaceRun();
}
