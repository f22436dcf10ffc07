using System.Globalization;
using System.Text;

namespace Triggers.Extensions;

/// <summary>
/// Makes text storable in PostgreSQL, which refuses NUL characters (in <c>text</c>, and as <c>\u0000</c> in
/// <c>jsonb</c>) and invalid UTF-16 (a surrogate without its pair, raw or escaped). Whatever a script prints or
/// returns, or a message carries, must not make its job unstorable: NUL becomes ␀ (U+2400) and a lone surrogate
/// becomes � (U+FFFD). Text without either comes back as the same instance, at the cost of one vectorized scan.
/// </summary>
public static class StoredText
{
    public const char NulReplacement = '\u2400';
    public const char InvalidReplacement = '\uFFFD';

    /// <summary>Plain text (logs): NUL and lone surrogates replaced.</summary>
    public static string Text(string text)
    {
        var first = FirstSuspicious(text);
        if (first < 0 || IsCleanFrom(text, first)) return text;
        var clean = new StringBuilder(text.Length).Append(text, 0, first);
        for (var i = first; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\0') clean.Append(NulReplacement);
            else if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) clean.Append(c).Append(text[++i]);
            else if (char.IsSurrogate(c)) clean.Append(InvalidReplacement);
            else clean.Append(c);
        }
        return clean.ToString();
    }

    public static string? TextOrNull(string? text) => text is null ? null : Text(text);

    /// <summary>JSON text: raw characters as <see cref="Text"/>, and the escapes <c>\u0000</c> and lone surrogate
    /// escapes replaced by the escapes of the same replacements.</summary>
    public static string? Json(string? json)
    {
        if (json is null) return null;
        json = Text(json);
        var firstEscape = json.IndexOf('\\');
        return firstEscape < 0 ? json : CleanEscapes(json, firstEscape);
    }

    /// <summary>The first NUL or surrogate (valid pairs are rare enough to check on the slow path), or -1.</summary>
    private static int FirstSuspicious(ReadOnlySpan<char> text)
    {
        var nul = text.IndexOf('\0');
        var surrogate = (nul < 0 ? text : text[..nul]).IndexOfAnyInRange('\uD800', '\uDFFF');
        return surrogate >= 0 ? surrogate : nul;
    }

    private static bool IsCleanFrom(string text, int first)
    {
        for (var i = first; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\0') return false;
            if (!char.IsSurrogate(c)) continue;
            if (!char.IsHighSurrogate(c) || i + 1 >= text.Length || !char.IsLowSurrogate(text[i + 1])) return false;
            i++;
        }
        return true;
    }

    private static string CleanEscapes(string json, int firstEscape)
    {
        StringBuilder? clean = null;
        var copied = 0;
        // Jumps from backslash to backslash: a message's base64 payload holds escapes ('+' is written \u002B), and
        // everything between them needs no look.
        for (var i = firstEscape; i >= 0 && i < json.Length; i = json.IndexOf('\\', Math.Min(i + 1, json.Length)))
        {
            if (i + 1 < json.Length && json[i + 1] == 'u' && Escaped(json, i) is { } c)
            {
                if (char.IsHighSurrogate(c) && Escaped(json, i + 6) is { } next && char.IsLowSurrogate(next))
                {
                    i += 11; // a valid pair
                    continue;
                }
                if (c == '\0' || char.IsSurrogate(c))
                {
                    clean ??= new StringBuilder(json.Length);
                    var replacement = c == '\0' ? NulReplacement : InvalidReplacement;
                    clean.Append(json, copied, i - copied).Append(CultureInfo.InvariantCulture, $"\\u{(int)replacement:x4}");
                    copied = i + 6;
                }
                i += 5;
            }
            else i++; // another escape: skip the escaped character, which may itself be a backslash
        }
        return clean is null ? json : clean.Append(json, copied, json.Length - copied).ToString();
    }

    /// <summary>The character a <c>\uXXXX</c> escape at <paramref name="at"/> stands for, if there is one.</summary>
    private static char? Escaped(string json, int at) =>
        at >= 0 && at + 6 <= json.Length && json[at] == '\\' && json[at + 1] == 'u'
        && ushort.TryParse(json.AsSpan(at + 2, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var code)
            ? (char)code : null;
}
