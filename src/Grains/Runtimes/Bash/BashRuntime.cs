using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Triggers.Runtimes.Sandbox;
using Triggers.Scripts;

namespace Triggers.Runtimes.Bash;

/// <summary>
/// Bash scripts. No wrapper and no preprocessor: arguments are positional, in the order the script names them
/// (<c>name="$1"</c>), and the result is the last non-empty line of stdout, as JSON if it parses, else as a string.
/// </summary>
public sealed class BashRuntime(IOptions<RuntimeOptions> options, JobSandbox sandbox)
    : ScriptProcessRuntime(options.Value.Bash, $"{RuntimeOptions.Section}:{nameof(RuntimeOptions.Bash)}", sandbox)
{
    private const string ScriptFileName = "script.sh";

    // Non-ASCII text stays readable in arguments that are objects or arrays.
    private static readonly JsonSerializerOptions ArgumentJson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public override ScriptLanguage Language => ScriptLanguage.Bash;

    private const string ArgumentsFolder = ".args";

    // Sets the positional parameters from the files, then runs the script in this same shell (an exec would put the
    // arguments back on a command line). read -d '' takes a file whole, trailing newlines included.
    private const string Loader = $$"""
        set --
        for ((__arg_index = 1; __arg_index <= __arg_count; __arg_index++)); do
          IFS= read -r -d '' __arg < "{{ArgumentsFolder}}/$__arg_index" || true
          set -- "$@" "$__arg"
        done
        unset __arg __arg_index __arg_count
        . "$0"
        """;

    /// <summary>
    /// The arguments travel in files, never on the command line, where Linux limits one argument to 128 KiB: the
    /// script starts through <see cref="Loader"/>, which sets them as <c>$1…</c> before sourcing it.
    /// </summary>
    private protected override JobLaunch Prepare(ScriptRun run, JobDirectory directory)
    {
        var scriptPath = directory.File(ScriptFileName);
        File.WriteAllText(scriptPath, run.Content);
        var mainArgs = ArgumentBinder.Bind(run.Signature.MainParameters, run.Args);
        var positional = PositionalArguments(run.Signature.MainParameters, mainArgs).ToList();
        Directory.CreateDirectory(directory.File(ArgumentsFolder));
        for (var i = 0; i < positional.Count; i++)
            File.WriteAllText(directory.File(Path.Combine(ArgumentsFolder, (i + 1).ToString(CultureInfo.InvariantCulture))), positional[i]);
        return new JobLaunch(["-c", $"__arg_count={positional.Count}\n{Loader}", scriptPath], mainArgs);
    }

    private protected override ScriptOutcome ReadOutcome(JobDirectory directory, JobProcessExit exit, JsonObject knownMainArgs) =>
        exit.ExitCode == 0
            ? ScriptOutcome.Success(ResultFromLastLine(exit.StandardOutputTail), knownMainArgs, exit.Logs)
            : ScriptOutcome.Failure(JobFailures.ExitCode(exit), knownMainArgs, exit.Logs);

    /// <summary>Strings as they are, other values as JSON text; a missing (or null) argument is an empty string so
    /// that later ones keep their position and <c>${1:-default}</c> applies. Trailing missing ones are left off so
    /// <c>$#</c> counts what was given.</summary>
    private static IEnumerable<string> PositionalArguments(IReadOnlyList<string> parameters, JsonObject mainArgs)
    {
        var values = parameters.Select(name => mainArgs[name] switch
        {
            null => "",
            JsonValue value when value.GetValueKind() == JsonValueKind.String => value.GetValue<string>(),
            var other => other.ToJsonString(ArgumentJson),
        }).ToList();
        var given = values.FindLastIndex(value => value.Length > 0) + 1;
        return values.Take(given);
    }

    private static JsonNode? ResultFromLastLine(string stdout)
    {
        var lastLine = stdout.Split('\n').Select(line => line.Trim()).LastOrDefault(line => line.Length > 0);
        if (lastLine is null) return null;
        try
        {
            return JsonNode.Parse(lastLine);
        }
        catch (JsonException)
        {
            return JsonValue.Create(lastLine);
        }
    }
}
