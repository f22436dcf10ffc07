using System.Diagnostics;
using System.Text.Json.Nodes;
using Triggers.Tests.Infrastructure;
using Xunit;

namespace Triggers.Tests.Runtimes;

/// <summary>
/// The Python wrapper reads and writes JSON through the <c>_json</c> accelerator, and through the <c>json</c> package
/// where the accelerator is missing or differs: both ways give the same outcomes, run here with the accelerator hidden
/// and without.
/// </summary>
public sealed class PythonWrapperJsonTests
{
    private const string Script = """
        def main(text: str, numbers: list, nested: dict, kind: str):
            if kind == "nan":
                return float("nan")
            if kind == "bytes":
                return b"raw"
            if kind == "circular":
                loop = []
                loop.append(loop)
                return loop
            return {"text": text + " ✓", "numbers": [n * 2 for n in numbers], "nested": nested, "ratio": 0.5, "none": None, "keys": {1: "one"}}
        """;

    public static TheoryData<bool> Accelerator => new() { true, false };

    [Theory]
    [MemberData(nameof(Accelerator))]
    public void Results_and_arguments_round_trip_and_unserializable_results_fail_alike(bool accelerated)
    {
        var result = Run(accelerated, "ok");
        Assert.Equal(JsonNode.Parse("""
            {"ok":true,"result":{"text":"héllo \"quoted\"\n ✓","numbers":[2,4,7.0],"nested":{"a":[true,null,{"b":"c"}]},"ratio":0.5,"none":null,"keys":{"1":"one"}},
             "args":{"text":"héllo \"quoted\"\n","numbers":[1,2,3.5],"nested":{"a":[true,null,{"b":"c"}]},"kind":"ok"}}
            """)!.ToJsonString(), result.ToJsonString());

        foreach (var (kind, message) in new[] { ("nan", "Out of range float values"), ("bytes", "bytes is not JSON serializable"), ("circular", "Circular reference") })
        {
            var failed = Run(accelerated, kind);
            Assert.False((bool)failed["ok"]!);
            Assert.Equal("ResultNotSerializable", (string?)failed["error"]!["name"]);
            Assert.Contains(message, (string?)failed["error"]!["message"]);
        }
    }

    /// <summary>Runs the wrapper on one job with the runtime's arguments (script, input.json, result.json) and
    /// <c>python3 -I</c>, started through <c>-c</c> so that <paramref name="accelerated"/> false can hide <c>_json</c>.</summary>
    private static JsonObject Run(bool accelerated, string kind)
    {
        var directory = Directory.CreateTempSubdirectory("wrapper-json-").FullName;
        try
        {
            var wrapper = Path.Combine(RepoPaths.Root, "src", "Grains", "Runtimes", "Python", "wrapper.py");
            var script = Path.Combine(directory, "script.py");
            var input = Path.Combine(directory, "input.json");
            var result = Path.Combine(directory, "result.json");
            File.WriteAllText(script, Script);
            File.WriteAllText(input, new JsonObject
            {
                ["parameters"] = new JsonArray("text", "numbers", "nested", "kind"),
                ["args"] = JsonNode.Parse($$"""{"text":"héllo \"quoted\"\n","numbers":[1,2,3.5],"nested":{"a":[true,null,{"b":"c"}]},"kind":"{{kind}}"}"""),
                ["preprocess"] = false,
                ["event"] = null,
            }.ToJsonString());
            // Hidden as a missing module is: importing it raises ImportError.
            var hide = accelerated ? "" : "sys.modules['_json'] = None; ";
            var start = new ProcessStartInfo("/usr/bin/python3", ["-I", "-c",
                $"import sys; {hide}path = sys.argv[1]; sys.argv = sys.argv[1:]; exec(compile(open(path).read(), path, 'exec'), {{'__name__': '__main__', '__file__': path}})",
                wrapper, script, input, result]) { RedirectStandardError = true };
            using var process = Process.Start(start)!;
            var errors = process.StandardError.ReadToEnd();
            process.WaitForExit();
            Assert.True(process.ExitCode == 0, errors);
            return JsonNode.Parse(File.ReadAllText(result))!.AsObject();
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
