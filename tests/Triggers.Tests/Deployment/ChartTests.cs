using System.Text.Json.Nodes;
using System.Security.Cryptography.X509Certificates;
using static Triggers.Tests.Deployment.RenderedChart;

namespace Triggers.Tests.Deployment;

/// <summary>
/// The Helm chart checked by the real tools: <c>helm lint --strict</c>, <c>helm template</c> with the least a release
/// needs and with every optional part on, kubectl's own API types for every object it renders (offline: create and
/// apply need an API server even with --dry-run=client), and the cross-references between the objects that no tool
/// checks without a cluster.
/// </summary>
public sealed class ChartTests
{
    public static readonly TheoryData<string> ValuesFiles = new() { "example-values.yaml", "all-features-values.yaml" };

    /// <summary>Referenced by the all-features values on purpose: objects an operator creates outside the chart.</summary>
    private static readonly HashSet<string> ExternalSecrets = ["kafka-ca", "orleans-triggers-cluster-tls"];

    [Theory, MemberData(nameof(ValuesFiles))]
    public void Helm_lint_strict_passes(string values)
    {
        var (exit, output, errors) = Run(Helm, "lint", "--strict", ChartDirectory, "-f", Path.Combine(ChartDirectory, "ci", values));
        Assert.True(exit == 0, $"helm lint --strict failed:\n{output}\n{errors}");
        Assert.Contains("0 chart(s) failed", output);
    }

    [Fact]
    public void Rendering_without_a_database_fails_and_says_which_value_to_set()
    {
        var (exit, _, errors) = Run(Helm, "template", "orleans-triggers", ChartDirectory);
        Assert.NotEqual(0, exit);
        Assert.Contains("postgres.connectionString (or postgres.existingSecret) is required", errors);
    }

    [Fact]
    public void The_all_features_values_switch_on_every_optional_part()
    {
        var least = Render("example-values.yaml");
        var all = Render("all-features-values.yaml");
        foreach (var kind in new[] { "Ingress", "ConfigMap" })
        {
            Assert.Empty(least.OfKind(kind));
            Assert.NotEmpty(all.OfKind(kind));
        }
        Assert.NotNull(all.Find("Secret", "orleans-triggers-keytab"));
        var silo = all.Find("StatefulSet", "orleans-triggers-silo")!;
        Assert.Contains(Items(PodSpec(silo)["containers"]![0]!["env"]), e => (string?)e["name"] == "KRB5_CONFIG");
        Assert.Equal("high-priority", (string?)PodSpec(silo)["priorityClassName"]);
        // Cluster TLS: both kinds of pod present the same certificate and trust the same authority.
        foreach (var pod in new[] { silo, all.Find("Deployment", "orleans-triggers-api")! })
        {
            Assert.Contains(Items(PodSpec(pod)["containers"]![0]!["env"]), e => (string?)e["name"] == "Orleans__Tls__CertificateAuthority");
            Assert.Contains(Items(PodSpec(pod)["volumes"]), v => (string?)v["secret"]?["secretName"] == "orleans-triggers-cluster-tls");
        }
        Assert.Null(all.Find("Secret", "orleans-triggers-cluster-tls")); // the operator's own, not rendered
        Assert.NotEmpty(Items(PodSpec(silo)["topologySpreadConstraints"]));
    }

    [Fact]
    public void Cluster_TLS_is_on_with_certificates_the_chart_makes_and_cannot_be_turned_off()
    {
        var least = Render("example-values.yaml");
        var secret = least.Find("Secret", "orleans-triggers-cluster-tls");
        Assert.NotNull(secret);
        string File(string key) => System.Text.Encoding.ASCII.GetString(Convert.FromBase64String((string)secret["data"]![key]!));
        using var authority = X509Certificate2.CreateFromPem(File("ca.crt"));
        using var member = X509Certificate2.CreateFromPem(File("tls.crt"), File("tls.key"));
        Assert.True(member.HasPrivateKey);
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(authority);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        Assert.True(chain.Build(member), "the member certificate chains to the chart's authority");
        foreach (var pod in new[] { least.Find("StatefulSet", "orleans-triggers-silo")!, least.Find("Deployment", "orleans-triggers-api")! })
        {
            Assert.Contains(Items(PodSpec(pod)["containers"]![0]!["env"]), e => (string?)e["name"] == "Orleans__Tls__Certificate");
            Assert.Contains(Items(PodSpec(pod)["volumes"]), v => (string?)v["secret"]?["secretName"] == "orleans-triggers-cluster-tls");
        }

        var (exit, _, errors) = Run(Helm, "template", "orleans-triggers", ChartDirectory, "-f", Path.Combine(ChartDirectory, "ci", "example-values.yaml"),
            "--set", "orleans.tls.enabled=false");
        Assert.NotEqual(0, exit);
        Assert.Contains("orleans.tls.enabled=false is not supported", errors);
    }

    [Theory, MemberData(nameof(ValuesFiles))]
    public void Every_object_decodes_into_kubectls_API_types_and_workloads_keep_every_field(string values)
    {
        var chart = Render(values);
        Assert.True(chart.Documents.Count >= 10, $"only {chart.Documents.Count} objects rendered");
        var problems = new List<string>();
        var directory = Directory.CreateTempSubdirectory("triggers-chart-").FullName;
        try
        {
            foreach (var ((yaml, o), i) in chart.Documents.Select((d, i) => (d, i)))
            {
                var file = Path.Combine(directory, $"{i}.yaml");
                File.WriteAllText(file, yaml);
                // set env decodes into the compiled-in type first: an unknown kind, a wrong type or a bad quantity fails there.
                var (exit, output, errors) = Run(Kubectl, "set", "env", "--local", "--dry-run=client", "-o", "json", "-f", file, "CHART_TEST=1");
                if (errors.Contains("unable to decode") || errors.Contains("no kind") || errors.Contains("no matches for kind"))
                    problems.Add($"{NameOf(o)}: {errors.Trim()}");
                else if ((string?)o["kind"] is "StatefulSet" or "Deployment")
                {
                    if (exit != 0) { problems.Add($"{NameOf(o)}: {errors.Trim()}"); continue; }
                    // Decoding drops fields its type does not have: a misspelt or misplaced field shows up as missing here.
                    var kept = Leaves(JsonNode.Parse(output));
                    problems.AddRange(Leaves(o).Where(leaf => !kept.TryGetValue(leaf.Key, out var v) || v != leaf.Value)
                        .Select(leaf => $"{NameOf(o)}: {leaf.Key}={leaf.Value} lost in kubectl's round trip"));
                }
                else if (!errors.Contains("not a pod or does not have a pod template"))
                    problems.Add($"{NameOf(o)}: unexpected kubectl answer: {errors.Trim()}");
            }
        }
        finally { Directory.Delete(directory, recursive: true); }
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Theory, MemberData(nameof(ValuesFiles))]
    public void References_between_the_objects_resolve(string values)
    {
        var chart = Render(values);
        var problems = new List<string>();
        foreach (var w in chart.Workloads)
        {
            var spec = PodSpec(w);
            var labels = PodLabels(w);
            if (!Selects(w["spec"]!["selector"]!["matchLabels"], labels)) problems.Add($"{NameOf(w)}: its selector does not match its pods");
            if ((string?)w["kind"] == "StatefulSet" && chart.Find("Service", (string?)w["spec"]!["serviceName"]) is var headless
                && (string?)headless?["spec"]?["clusterIP"] != "None")
                problems.Add($"{NameOf(w)}: its serviceName {w["spec"]!["serviceName"]} is not a headless Service of the release");
            if ((string?)spec["serviceAccountName"] is { } sa && sa != "default" && chart.Find("ServiceAccount", sa) is null)
                problems.Add($"{NameOf(w)}: ServiceAccount {sa} is not rendered");
            var volumes = Items(spec["volumes"]).ToDictionary(v => (string)v["name"]!);
            foreach (var v in volumes.Values)
            {
                if (v["configMap"] is { } cm && chart.Find("ConfigMap", (string?)cm["name"]) is null)
                    problems.Add($"{NameOf(w)}: volume {v["name"]}: ConfigMap {cm["name"]} is not rendered");
                if (v["secret"] is { } s && !ExternalSecrets.Contains((string)s["secretName"]!) && chart.Find("Secret", (string?)s["secretName"]) is null)
                    problems.Add($"{NameOf(w)}: volume {v["name"]}: Secret {s["secretName"]} is not rendered");
            }
            foreach (var c in Items(spec["containers"]))
            {
                var ports = Items(c["ports"]).ToDictionary(p => (string)p["name"]!, p => p["containerPort"]!.ToString());
                foreach (var m in Items(c["volumeMounts"]).Where(m => !volumes.ContainsKey((string)m["name"]!)))
                    problems.Add($"{NameOf(w)}: volumeMount {m["name"]} has no volume");
                foreach (var e in Items(c["env"]))
                    if (e["valueFrom"]?["secretKeyRef"] is { } key &&
                        (chart.Find("Secret", (string?)key["name"]) is not { } secret || (secret["data"]?[(string)key["key"]!] ?? secret["stringData"]?[(string)key["key"]!]) is null))
                        problems.Add($"{NameOf(w)}: env {e["name"]}: Secret {key["name"]} has no key {key["key"]}");
                foreach (var probe in new[] { "startupProbe", "livenessProbe", "readinessProbe" })
                    if (c[probe]?["httpGet"]?["port"]?.ToString() is { } port && !ports.ContainsKey(port) && !ports.ContainsValue(port))
                        problems.Add($"{NameOf(w)}: {probe} port {port} is not a container port");
                var env = Items(c["env"]).Where(e => e["value"] is not null).ToDictionary(e => (string)e["name"]!, e => e["value"]!.ToString());
                if (env.TryGetValue("ASPNETCORE_URLS", out var urls) && ports.TryGetValue("http", out var http) && !urls.EndsWith($":{http}"))
                    problems.Add($"{NameOf(w)}: ASPNETCORE_URLS {urls} is not on the http port {http}");
                foreach (var (setting, port) in new[] { ("Orleans__SiloPort", "silo"), ("Orleans__GatewayPort", "gateway") })
                    if (env.TryGetValue(setting, out var value) && ports.GetValueOrDefault(port) != value)
                        problems.Add($"{NameOf(w)}: {setting}={value} but container port {port} is {ports.GetValueOrDefault(port)}");
            }
        }
        foreach (var service in chart.OfKind("Service"))
        {
            var targets = chart.Workloads.Where(w => Selects(service["spec"]!["selector"], PodLabels(w))).ToList();
            if (targets.Count == 0) problems.Add($"{NameOf(service)}: its selector matches no pods");
            foreach (var port in Items(service["spec"]!["ports"]))
            {
                var target = (port["targetPort"] ?? port["port"])!.ToString();
                foreach (var w in targets.Where(w => !Items(PodSpec(w)["containers"]).SelectMany(c => Items(c["ports"]))
                             .Any(p => (string?)p["name"] == target || p["containerPort"]!.ToString() == target)))
                    problems.Add($"{NameOf(service)}: targetPort {target} is not a port of {NameOf(w)}");
            }
        }
        if (chart.OfKind("NetworkPolicy").Count() != 1) problems.Add("networkPolicy.enabled (the default) renders no NetworkPolicy, or several");
        foreach (var policy in chart.OfKind("NetworkPolicy"))
        {
            // The cluster ports are for the release's own pods only: their rule must name who may come.
            foreach (var rule in Items(policy["spec"]!["ingress"]).Where(r => Items(r["ports"]).Any(p => p["port"]!.ToString() is "silo" or "gateway")))
                if (Items(rule["from"]).FirstOrDefault()?["podSelector"]?["matchLabels"]?["app.kubernetes.io/instance"]?.ToString() != "orleans-triggers")
                    problems.Add($"{NameOf(policy)}: the silo and gateway ports are open to pods outside the release");
            var guarded = chart.Workloads.Where(w => Selects(policy["spec"]!["podSelector"]!["matchLabels"], PodLabels(w))).ToList();
            if (guarded.Count == 0) problems.Add($"{NameOf(policy)}: it guards no pods");
            var ports = guarded.SelectMany(w => Items(PodSpec(w)["containers"])).SelectMany(c => Items(c["ports"])).Select(p => (string)p["name"]!).ToHashSet();
            foreach (var rule in Items(policy["spec"]!["ingress"]))
            {
                foreach (var port in Items(rule["ports"]).Select(p => p["port"]!.ToString()).Where(p => !ports.Contains(p)))
                    problems.Add($"{NameOf(policy)}: port {port} is not a port of the pods it guards");
                // The cluster ports must admit every pod of the release that talks to the silos: silos and API pods.
                if (Items(rule["from"]).FirstOrDefault()?["podSelector"]?["matchLabels"] is { } from)
                    foreach (var w in chart.Workloads.Where(w => !Selects(from, PodLabels(w))))
                        problems.Add($"{NameOf(policy)}: {NameOf(w)} may not reach the ports it guards");
            }
        }
        foreach (var budget in chart.OfKind("PodDisruptionBudget"))
            if (!chart.Workloads.Any(w => Selects(budget["spec"]!["selector"]!["matchLabels"], PodLabels(w))))
                problems.Add($"{NameOf(budget)}: its selector matches no pods");
        foreach (var binding in chart.OfKind("RoleBinding"))
        {
            if (chart.Find((string)binding["roleRef"]!["kind"]!, (string?)binding["roleRef"]!["name"]) is null)
                problems.Add($"{NameOf(binding)}: its role is not rendered");
            foreach (var subject in Items(binding["subjects"]).Where(s => (string?)s["kind"] == "ServiceAccount" && chart.Find("ServiceAccount", (string?)s["name"]) is null))
                problems.Add($"{NameOf(binding)}: ServiceAccount {subject["name"]} is not rendered");
        }
        foreach (var ingress in chart.OfKind("Ingress"))
            foreach (var path in Items(ingress["spec"]!["rules"]).SelectMany(r => Items(r["http"]?["paths"])))
            {
                var backend = path["backend"]!["service"]!;
                var service = chart.Find("Service", (string?)backend["name"]);
                if (service is null || !Items(service["spec"]!["ports"]).Any(p => p["port"]!.ToString() == backend["port"]!["number"]?.ToString()))
                    problems.Add($"{NameOf(ingress)}: backend {backend["name"]}:{backend["port"]?["number"]} is no Service port");
            }
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Theory, MemberData(nameof(ValuesFiles))]
    public void Pods_run_as_non_root_on_a_read_only_root_filesystem_with_a_writable_tmp_and_read_only_secrets(string values)
    {
        var problems = new List<string>();
        foreach (var w in Render(values).Workloads)
        {
            var spec = PodSpec(w);
            if (spec["securityContext"]?["runAsNonRoot"]?.ToString() != "true") problems.Add($"{NameOf(w)}: runAsNonRoot is not true");
            var secretVolumes = Items(spec["volumes"]).Where(v => v["secret"] is not null).Select(v => (string)v["name"]!).ToHashSet();
            foreach (var c in Items(spec["containers"]))
            {
                var mounts = Items(c["volumeMounts"]).ToList();
                if (c["securityContext"]?["readOnlyRootFilesystem"]?.ToString() != "true") problems.Add($"{NameOf(w)}: the root filesystem is writable");
                if (!mounts.Any(m => (string?)m["mountPath"] == "/tmp")) problems.Add($"{NameOf(w)}: no writable volume at /tmp");
                foreach (var m in mounts.Where(m => secretVolumes.Contains((string)m["name"]!) && m["readOnly"]?.ToString() != "true"))
                    problems.Add($"{NameOf(w)}: secret volume {m["name"]} is mounted writable");
            }
        }
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Theory, MemberData(nameof(ValuesFiles))]
    public void Silo_pods_carry_the_cluster_identity_Orleans_Kubernetes_hosting_reads_and_may_manage_pods(string values)
    {
        var chart = Render(values);
        var silo = chart.Find("StatefulSet", "orleans-triggers-silo")!;
        var labels = PodLabels(silo);
        var env = Items(PodSpec(silo)["containers"]![0]!["env"]).ToDictionary(e => (string)e["name"]!);
        Assert.Equal("true", env["Orleans__Kubernetes"]["value"]!.ToString());
        foreach (var (label, settings) in new[] { ("orleans/serviceId", new[] { "ORLEANS_SERVICE_ID", "Orleans__ServiceId" }), ("orleans/clusterId", new[] { "ORLEANS_CLUSTER_ID", "Orleans__ClusterId" }) })
            foreach (var setting in settings)
                Assert.Equal(labels[label], env[setting]["value"]!.ToString());
        foreach (var (name, field) in new[] { ("POD_NAME", "metadata.name"), ("POD_NAMESPACE", "metadata.namespace"), ("POD_IP", "status.podIP") })
            Assert.Equal(field, (string?)env[name]["valueFrom"]?["fieldRef"]?["fieldPath"]);

        var account = (string)PodSpec(silo)["serviceAccountName"]!;
        var verbs = chart.OfKind("RoleBinding")
            .Where(b => Items(b["subjects"]).Any(s => (string?)s["kind"] == "ServiceAccount" && (string?)s["name"] == account))
            .Select(b => chart.Find((string)b["roleRef"]!["kind"]!, (string?)b["roleRef"]!["name"])!)
            .SelectMany(role => Items(role["rules"]))
            .Where(rule => Items(rule["resources"]).Any(r => r.ToString() == "pods"))
            .SelectMany(rule => Items(rule["verbs"]).Select(v => v.ToString()))
            .ToHashSet();
        Assert.Subset(verbs, new HashSet<string> { "get", "list", "watch", "delete", "patch" });
    }

    /// <summary>Every scalar by its path; empty objects and lists have none, as kubectl leaves them out.</summary>
    private static Dictionary<string, string> Leaves(JsonNode? node, string path = "", Dictionary<string, string>? leaves = null)
    {
        leaves ??= [];
        switch (node)
        {
            case JsonObject o: foreach (var (key, value) in o) Leaves(value, $"{path}.{key}", leaves); break;
            case JsonArray a: for (var i = 0; i < a.Count; i++) Leaves(a[i], $"{path}[{i}]", leaves); break;
            case JsonValue v: leaves[path] = v.ToString(); break;
        }
        return leaves;
    }
}
