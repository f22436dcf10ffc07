using System.Text.RegularExpressions;

namespace Triggers.Runtimes;

/// <summary>Finds a parameter list by bracket matching and splits it at its top-level commas.</summary>
internal static partial class ParameterList
{
    /// <param name="code">Source masked by <see cref="SourceMask"/>.</param>
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

    /// <summary>A parameter as error messages quote it: on one line.</summary>
    public static string CollapseWhitespace(string text) => WhitespaceRun().Replace(text, " ");

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

    [GeneratedRegex(@"\s+")]
    private static partial Regex WhitespaceRun();
}
