namespace Triggers.Runtimes;

/// <summary>The steps each language's mask (in its signature) is made of: blanking comments and string-literal
/// contents, keeping length, quotes and newlines.</summary>
/// <remarks>
/// Signatures are read with patterns rather than a real parser. To keep the patterns honest, comments and the
/// insides of string literals are first blanked out (same length, newlines kept), so brackets, commas or a
/// commented-out <c>main</c> inside them cannot mislead the search; positions in the blanked text are positions in
/// the source.
/// </remarks>
internal static class SourceMask
{
    public static int BlankUntil(char[] code, int start, string end, bool inclusive)
    {
        var i = start;
        while (i < code.Length && !At(code, i, end)) Blank(code, i++);
        if (inclusive && i < code.Length)
            for (var k = 0; k < end.Length; k++) Blank(code, i++);
        return i;
    }

    /// <returns>The index after the closing quote (or where an unterminated literal stops).</returns>
    public static int BlankQuoted(char[] code, int open, string quote, bool multiline)
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

    public static void Blank(char[] code, int i)
    {
        if (code[i] != '\n') code[i] = ' ';
    }

    private static bool At(char[] code, int i, string text) =>
        i + text.Length <= code.Length && code.AsSpan(i, text.Length).SequenceEqual(text);
}
