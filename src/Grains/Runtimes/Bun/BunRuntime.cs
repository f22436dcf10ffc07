using Microsoft.Extensions.Options;
using Triggers.Runtimes.Sandbox;
using Triggers.Scripts;

namespace Triggers.Runtimes.Bun;

/// <summary>TypeScript scripts, run by Bun.</summary>
public sealed class BunRuntime(IOptions<RuntimeOptions> options, JobSandbox sandbox)
    : WrappedScriptRuntime(options.Value.Bun, $"{RuntimeOptions.Section}:{nameof(RuntimeOptions.Bun)}", options.Value, sandbox)
{
    public override ScriptLanguage Language => ScriptLanguage.Bun;

    private protected override string ScriptFileName => "script.ts";

    private protected override string WrapperFileName => "wrapper.ts";

    // Bun looks for packages in node_modules beside the importing file, and follows the link to the shared set.
    private protected override string DependencyFolder => "node_modules";

    // "/f/team/helpers" is an absolute path to Bun; the job's tsconfig maps the workspace roots to its directory.
    private protected override void PrepareModuleResolution(JobDirectory directory) =>
        File.WriteAllText(directory.File("tsconfig.json"), """{"compilerOptions": {"baseUrl": ".", "paths": {"/f/*": ["./f/*"], "/u/*": ["./u/*"]}}}""");

    // Without --no-install, Bun would download any package a script imports, at run time.
    private protected override IEnumerable<string> InterpreterArguments(string wrapperPath) => ["--no-install", "run", wrapperPath];
}
