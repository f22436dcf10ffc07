using Triggers.Runtimes.Bash;
using Triggers.Runtimes.Bun;
using Triggers.Runtimes.Python;
using Triggers.Scripts;

namespace Triggers.Runtimes;

/// <summary>Reads a script's <see cref="ScriptSignature"/> from its source text, without running it.</summary>
public static class ScriptAnalyzer
{
    /// <exception cref="ArgumentException">The script has no <c>main</c>, or <c>main</c> has parameters that
    /// cannot receive arguments by name.</exception>
    public static ScriptSignature Analyze(ScriptLanguage language, string content)
    {
        ArgumentNullException.ThrowIfNull(content);
        return language switch
        {
            ScriptLanguage.Bun => BunSignature.Read(content),
            ScriptLanguage.Python3 => PythonSignature.Read(content),
            ScriptLanguage.Bash => BashSignature.Read(content),
            _ => throw new ArgumentOutOfRangeException(nameof(language), language, "Unknown script language."),
        };
    }
}
