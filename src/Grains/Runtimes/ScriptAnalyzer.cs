using Triggers.Runtimes.Bash;
using Triggers.Runtimes.Bun;
using Triggers.Runtimes.Python;
using Triggers.Scripts;

namespace Triggers.Runtimes;

/// <summary>Reads a script's <see cref="ScriptSignature"/> from its source text, without running it.</summary>
public static class ScriptAnalyzer
{
    /// <param name="mainOptional">A script that exports only <c>preprocessor</c> is accepted (a flow's preprocessor
    /// module, as Windmill writes them); its signature says it has no main.</param>
    /// <exception cref="ArgumentException">The script has no <c>main</c> (nor, where optional, a <c>preprocessor</c>),
    /// or <c>main</c> has parameters that cannot receive arguments by name.</exception>
    public static ScriptSignature Analyze(ScriptLanguage language, string content, bool mainOptional = false)
    {
        ArgumentNullException.ThrowIfNull(content);
        return language switch
        {
            ScriptLanguage.Bun => BunSignature.Read(content, mainOptional),
            ScriptLanguage.Python3 => PythonSignature.Read(content, mainOptional),
            ScriptLanguage.Bash => BashSignature.Read(content),
            _ => throw new ArgumentOutOfRangeException(nameof(language), language, "Unknown script language."),
        };
    }
}
