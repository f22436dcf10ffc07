using System.Diagnostics;
using System.Text.Json.Nodes;
using YamlDotNet.Serialization;

namespace Triggers.Tests.Deployment;

/// <summary>
/// The chart as real helm renders it (helm and kubectl from <c>scripts/install-kube-tools.sh</c>), parsed into one
/// JSON object per Kubernetes object, with the lookups the cross-reference checks need.
/// </summary>
public sealed class RenderedChart
{
    public static readonly string ChartDirectory = Path.Combine(Infrastructure.RepoPaths.Root, "charts", "orleans-triggers");

    private static readonly string ToolDirectory = Environment.GetEnvironmentVariable("TRIGGERS_TEST_KUBE_TOOLS")
        ?? Path.Combine(Infrastructure.RepoPaths.Root, ".tools", "kube", "bin");

    public static string Helm => Path.Combine(ToolDirectory, "helm");
    public static string Kubectl => Path.Combine(ToolDirectory, "kubectl");

    private RenderedChart(IReadOnlyList<(string Yaml, JsonObject Object)> documents) => Documents = documents;

    /// <summary>Each object as helm wrote it (for kubectl, which reads YAML's types) and parsed (for the checks here,
    /// where every scalar is a string).</summary>
    public IReadOnlyList<(string Yaml, JsonObject Object)> Documents { get; }

    public IEnumerable<JsonObject> Objects => Documents.Select(d => d.Object);

    /// <summary><c>helm template</c> with ci/<paramref name="valuesFile"/> on top of values.yaml.</summary>
    public static RenderedChart Render(string valuesFile)
    {
        var (exit, yaml, errors) = Run(Helm, "template", "orleans-triggers", ChartDirectory, "--namespace", "default",
            "-f", Path.Combine(ChartDirectory, "ci", valuesFile));
        if (exit != 0) throw new InvalidOperationException($"helm template failed: {errors}");
        var deserializer = new DeserializerBuilder().Build();
        var json = new SerializerBuilder().JsonCompatible().Build();
        var documents = yaml.Split("\n---", StringSplitOptions.RemoveEmptyEntries)
            .Select(text => (Text: text, Parsed: deserializer.Deserialize<object?>(text)))
            .Where(document => document.Parsed is not null)
            .Select(document => (document.Text, JsonNode.Parse(json.Serialize(document.Parsed))!.AsObject()))
            .ToList();
        return new RenderedChart(documents);
    }

    public static (int Exit, string Output, string Errors) Run(string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["KUBECONFIG"] = "/dev/null"; // never a real cluster from here
        start.Environment["HELM_CACHE_HOME"] = Path.Combine(Path.GetTempPath(), "triggers-helm-cache");
        using var process = Process.Start(start)!;
        var errors = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output, errors.Result);
    }

    public static string NameOf(JsonNode o) => $"{o["kind"]}/{o["metadata"]?["name"]}";

    public JsonObject? Find(string kind, string? name) =>
        Objects.FirstOrDefault(o => (string?)o["kind"] == kind && (string?)o["metadata"]?["name"] == name);

    public IEnumerable<JsonObject> OfKind(string kind) => Objects.Where(o => (string?)o["kind"] == kind);

    public IEnumerable<JsonObject> Workloads => Objects.Where(o => (string?)o["kind"] is "StatefulSet" or "Deployment");

    public static JsonObject PodSpec(JsonNode workload) => workload["spec"]!["template"]!["spec"]!.AsObject();

    public static IReadOnlyDictionary<string, string> PodLabels(JsonNode workload) => Labels(workload["spec"]!["template"]!["metadata"]!["labels"]);

    public static IReadOnlyDictionary<string, string> Labels(JsonNode? labels) =>
        labels?.AsObject().ToDictionary(l => l.Key, l => l.Value!.ToString()) ?? new Dictionary<string, string>();

    /// <summary>Every label of <paramref name="selector"/> is on the pod.</summary>
    public static bool Selects(JsonNode? selector, IReadOnlyDictionary<string, string> podLabels) =>
        selector is not null && Labels(selector).All(l => podLabels.TryGetValue(l.Key, out var v) && v == l.Value);

    public static IEnumerable<JsonNode> Items(JsonNode? array) => array?.AsArray().Where(n => n is not null).Select(n => n!) ?? [];
}
