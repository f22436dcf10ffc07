using Triggers.Runtimes;
using Triggers.Scripts;
using Xunit;

namespace Triggers.Tests.Runtimes;

public sealed class ScriptAnalyzerTests
{
    [Theory]
    [InlineData("export async function main(a: string, b: number) { }")]
    [InlineData("export function main(a: string, b: number) { }")]
    [InlineData("export   async   function   main ( a , b ) { }")]
    [InlineData("export async function main(a = \"x, y)\", b = 'it\\'s, (x') { }")]
    [InlineData("export async function main(a: Record<string, number>, b: Map<string, Array<number>> = new Map()) { }")]
    [InlineData("export async function main(a: { x: string; y: number }, b: { z: [string, number] } = { z: [\"q\", 1] }) { }")]
    [InlineData("export async function main(a: (x: number, y: number) => void = () => {}, b?: string) { }")]
    [InlineData("export async function main<T extends Record<string, unknown>>(a: T, b: T[]) { }")]
    [InlineData("export const main = async (a: string, b = `tpl, ${1 + 2}`) => { }")]
    [InlineData("export const main = function (a, b) { }")]
    [InlineData("export async function main(a: string, /* c: string, */ b: number, // d\n) { }")]
    [InlineData("export async function main(this: Window, a: string, b = /[(),]/g) { }")]
    public void Bun_main_parameters_are_read_past_types_defaults_and_comments(string script)
    {
        var signature = ScriptAnalyzer.Analyze(ScriptLanguage.Bun, script);

        Assert.Equal(["a", "b"], signature.MainParameters);
        Assert.False(signature.HasPreprocessor);
    }

    [Fact]
    public void Bun_multi_line_preprocessor_and_main_from_the_kafka_docs()
    {
        const string script = """
            export async function preprocessor(
              event: {
                kind: "kafka",
                payload: string, // base64 encoded payload
                brokers: string[];
                topic: string; // the specific topic the message was received from
                group_id: string;
              }
            ) {
              if (event.kind !== "kafka") {
                throw new Error(`Expected a kafka event`);
              }
              const msg = JSON.parse(atob(event.payload));
              return { message_content: msg.content, topic: event.topic };
            }

            export async function main(
              message_content: string,
              topic: string,
            ) {
            }
            """;

        var signature = ScriptAnalyzer.Analyze(ScriptLanguage.Bun, script);

        Assert.Equal(["message_content", "topic"], signature.MainParameters);
        Assert.True(signature.HasPreprocessor);
    }

    [Fact]
    public void Bun_main_without_parameters_and_single_parameter_arrow()
    {
        Assert.Empty(ScriptAnalyzer.Analyze(ScriptLanguage.Bun, "export async function main() { return 1; }").MainParameters);
        Assert.Equal(["payload"], ScriptAnalyzer.Analyze(ScriptLanguage.Bun, "export const main = async payload => payload;").MainParameters);
    }

    [Theory]
    [InlineData("async function main(a: string) { }")]
    [InlineData("// export async function main(a: string) { }")]
    [InlineData("const s = 'export async function main(a) {}';")]
    [InlineData("export async function mainly(a: string) { }")]
    [InlineData("")]
    public void Bun_script_without_an_exported_main_is_rejected_with_a_hint(string script)
    {
        var error = Assert.Throws<ArgumentException>(() => ScriptAnalyzer.Analyze(ScriptLanguage.Bun, script));

        Assert.Contains("export async function main(...)", error.Message);
    }

    [Theory]
    [InlineData("export async function main({ a, b }: { a: string; b: number }) { }", "destructures")]
    [InlineData("export async function main(...rest: string[]) { }", "rest parameter")]
    [InlineData("export async function main(a: string { }", "never closed")]
    public void Bun_main_parameters_that_cannot_take_named_arguments_are_rejected(string script, string expected)
    {
        var error = Assert.Throws<ArgumentException>(() => ScriptAnalyzer.Analyze(ScriptLanguage.Bun, script));

        Assert.Contains(expected, error.Message);
    }

    [Theory]
    [InlineData("def main(a, b):\n    pass")]
    [InlineData("def main(a: str, b: int = 3) -> dict:\n    pass")]
    [InlineData("async def main(a: list[dict[str, int]], b: str = \"x, (y\"):\n    pass")]
    [InlineData("def main(\n    a: str,  # the first, (really)\n    b: int = 3,\n):\n    pass")]
    [InlineData("def main(a, /, *, b: 'Optional[int]' = None):\n    pass")]
    [InlineData("def main(a, *args, b=1, **kwargs):\n    pass")]
    [InlineData("def main(a: str = '''multi\nline, )''', b=(1, 2)):\n    pass")]
    [InlineData("def helper(x, y, z):\n    pass\n\ndef main(a, b):\n    pass")]
    public void Python_main_parameters_are_read_past_annotations_defaults_and_markers(string script)
    {
        var signature = ScriptAnalyzer.Analyze(ScriptLanguage.Python3, script);

        Assert.Equal(["a", "b"], signature.MainParameters);
        Assert.False(signature.HasPreprocessor);
    }

    [Fact]
    public void Python_preprocessor_is_detected()
    {
        const string script = """
            import base64, json

            def preprocessor(event):
                return json.loads(base64.b64decode(event["payload"]))

            def main(message_content: str, topic: str):
                return message_content
            """;

        var signature = ScriptAnalyzer.Analyze(ScriptLanguage.Python3, script);

        Assert.Equal(["message_content", "topic"], signature.MainParameters);
        Assert.True(signature.HasPreprocessor);
    }

    [Theory]
    [InlineData("class Job:\n    def main(self, a):\n        pass")]
    [InlineData("# def main(a):\nprint(1)")]
    [InlineData("\"\"\"\ndef main(a):\n\"\"\"")]
    [InlineData("def mainly(a):\n    pass")]
    public void Python_script_without_a_top_level_main_is_rejected_with_a_hint(string script)
    {
        var error = Assert.Throws<ArgumentException>(() => ScriptAnalyzer.Analyze(ScriptLanguage.Python3, script));

        Assert.Contains("def main(...):", error.Message);
    }

    [Fact]
    public void Bash_parameters_are_named_by_their_positional_assignments_in_order()
    {
        const string script = """
            #!/bin/bash
            # greeting="$9" is only a comment
            count="${2:-1}"
            name="$1"
            shout=${3:-no}
            say() {
              local text="$1"
              indented="$4"
            }
            echo "$name"
            """;

        var signature = ScriptAnalyzer.Analyze(ScriptLanguage.Bash, script);

        Assert.Equal(["name", "count", "shout"], signature.MainParameters);
        Assert.False(signature.HasPreprocessor);
    }

    [Fact]
    public void Bash_default_may_contain_braces_and_quotes()
    {
        var signature = ScriptAnalyzer.Analyze(ScriptLanguage.Bash, "config=\"${1:-{\\\"a\\\": 1}}\"\necho \"$config\"");

        Assert.Equal(["config"], signature.MainParameters);
    }

    [Fact]
    public void Bash_script_without_parameters_has_an_empty_signature()
    {
        Assert.Empty(ScriptAnalyzer.Analyze(ScriptLanguage.Bash, "echo hello").MainParameters);
    }

    [Fact]
    public void Bash_positional_parameter_without_a_name_is_rejected()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            ScriptAnalyzer.Analyze(ScriptLanguage.Bash, "first=\"$1\"\nthird=\"$3\""));

        Assert.Contains("$2 has no name", error.Message);
    }
}
