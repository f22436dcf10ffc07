using Microsoft.Extensions.Options;
using Triggers.Runtimes.Sandbox;
using Triggers.Scripts;

namespace Triggers.Runtimes.Python;

/// <summary>Python 3 scripts.</summary>
public sealed class PythonRuntime(IOptions<RuntimeOptions> options, JobSandbox sandbox)
    : WrappedScriptRuntime(options.Value.Python, $"{RuntimeOptions.Section}:{nameof(RuntimeOptions.Python)}", options.Value, sandbox)
{
    public override ScriptLanguage Language => ScriptLanguage.Python3;

    private protected override string ScriptFileName => "script.py";

    private protected override string WrapperFileName => "wrapper.py";

    // -I: no user site-packages, no PYTHON* variables, no script directory on sys.path. (The wrapper makes the output
    // line-buffered.)
    private protected override IEnumerable<string> InterpreterArguments(string wrapperPath) => ["-I", wrapperPath];

    // The wrapper puts site-packages beside the script on sys.path (which -I leaves alone otherwise).
    private protected override string DependencyFolder => "site-packages";
}
