using System.Globalization;
using System.Text.RegularExpressions;
using Triggers.Scripts;

namespace Triggers.Runtimes.Bash;

/// <summary>Reads a bash script's signature: the names of its positional parameters.</summary>
internal static partial class BashSignature
{
    // A bash script has no main: its parameters are the positional ones, named by convention with
    // top-level lines `name="$1"` or `name="${1:-default}"` (indented ones are usually inside functions,
    // whose $1 is not the script's).
    public static ScriptSignature Read(string content)
    {
        var namesByPosition = new SortedDictionary<int, string>();
        foreach (Match line in PositionalParameter().Matches(content))
        {
            var position = int.Parse(line.Groups["position"].Value, CultureInfo.InvariantCulture);
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

    [GeneratedRegex("""
        ^(?<name>[A-Za-z_][A-Za-z0-9_]*)=
        (?: "\$(?<position>[1-9])" | \$(?<position>[1-9])(?![0-9])
          | "\$\{(?<position>[1-9][0-9]*)(?::?-.*)?\}" | \$\{(?<position>[1-9][0-9]*)(?::?-[^}\s]*)?\} )
        [ \t]*(?:[;#].*)?\r?$
        """, RegexOptions.Multiline | RegexOptions.IgnorePatternWhitespace | RegexOptions.CultureInvariant)]
    private static partial Regex PositionalParameter();
}
