using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Triggers.Runtimes;
using Triggers.Scripts;
using Triggers.Runtimes.Dependencies;
using Triggers.Tests.Infrastructure;

namespace Triggers.Tests.Runtimes;

/// <summary>A silo whose scripts' packages come from npm's registry (Bun) and a local package index (Python).</summary>
public sealed class DependencyFixture : IAsyncLifetime
{
    public PythonPackageIndex Index { get; } = new(
        ("greeter", "1.0.0", "VERSION = '1.0.0'\nfrom shouter import shout\ndef greet(name):\n    return shout('hello ' + name)\n", ["shouter"]),
        ("greeter", "1.1.0", "VERSION = '1.1.0'\nfrom shouter import shout\ndef greet(name):\n    return shout('hi ' + name)\n", ["shouter"]),
        ("shouter", "2.0.0", "def shout(text):\n    return text.upper() + '!'\n", []));

    public string Cache { get; } = Directory.CreateTempSubdirectory("triggers-deps-").FullName;
    public SiloFactory Silo { get; }
    public TriggersApiClient Api { get; private set; } = null!;

    public DependencyFixture() => Silo = new SiloFactory(new Dictionary<string, string?>
    {
        ["Runtimes:CacheDirectory"] = Cache,
        ["Runtimes:Python:IndexUrl"] = Index.Url,
    });

    public DependencySets Dependencies => Silo.Services.GetRequiredService<DependencySets>();

    public async Task InitializeAsync()
    {
        Api = Silo.CreateApiClient();
        await Api.CreateWorkspaceAsync("deps");
    }

    public async Task DisposeAsync()
    {
        await Silo.DisposeAsync();
        Index.Dispose();
        Directory.Delete(Cache, recursive: true);
    }
}

[CollectionDefinition(Name)]
public sealed class DependencyCollection : ICollectionFixture<DependencyFixture>
{
    public const string Name = "dependencies";
}

/// <summary>Scripts that import libraries: inferred at save, locked by a dependencies job, installed once, shared.</summary>
[Collection(DependencyCollection.Name)]
public sealed class DependencyTests(DependencyFixture fixture)
{
    private const string Ws = "deps";
    private TriggersApiClient Api => fixture.Api;

    private const string BunWithPackages = """
        import isOdd from "is-odd";
        import _ from "lodash";
        export async function main(n: number) { return { odd: isOdd(n), chunks: _.chunk([1, 2, 3, 4], 2) }; }
        """;

    /// <summary>Creates the script and waits for its dependencies job to finish; returns that job.</summary>
    private async Task<JsonObject> CreateAndResolveAsync(string path, string language, string content)
    {
        await Api.CreateScriptAsync(Ws, path, language, content);
        var jobs = await Eventually.WaitAsync(() => Api.ListJobsAsync(Ws),
            list => list.Any(j => (string?)j["script_path"] == path && (string?)j["job_kind"] == "dependencies" && (string?)j["status"] is "success" or "failure"),
            TimeSpan.FromMinutes(3), $"the dependencies job of {path}");
        var job = jobs.First(j => (string?)j["script_path"] == path && (string?)j["job_kind"] == "dependencies");
        return await Api.GetJobAsync(Ws, (string)job["id"]!);
    }

    private async Task<JsonObject> RunAsync(string path, object args)
    {
        using var run = await Api.Http.PostAsJsonAsync($"/api/w/{Ws}/jobs/run/p/{path}", args);
        run.EnsureSuccessStatusCode();
        var id = await run.Content.ReadAsStringAsync();
        return await Eventually.WaitAsync(() => Api.GetJobAsync(Ws, id), j => (string?)j["status"] is "success" or "failure",
            TimeSpan.FromMinutes(2), $"job {id} of {path}");
    }

    private Task<JsonObject> GetScriptAsync(string path) => Api.Http.GetFromJsonAsync<JsonObject>($"/api/w/{Ws}/scripts/get/p/{path}")!;

    [Fact]
    public async Task A_bun_script_importing_npm_packages_runs_once_its_dependencies_job_has_locked_them()
    {
        var resolution = await CreateAndResolveAsync("u/deps/bun_packages", "bun", BunWithPackages);
        Assert.Equal("success", (string?)resolution["status"]);
        Assert.Contains("is-odd", (string?)resolution["logs"]);

        var script = await GetScriptAsync("u/deps/bun_packages");
        Assert.Equal(["is-odd@latest", "lodash@latest"], script["requirements"]!.AsArray().Select(r => (string)r!));
        Assert.Contains("\"is-number\"", (string?)script["lock"]); // is-odd's own dependency is locked too

        var job = await RunAsync("u/deps/bun_packages", new { n = 3 });
        Assert.Equal("success", (string?)job["status"]);
        Assert.True((bool)job["result"]!["odd"]!);
        Assert.Equal("[[1,2],[3,4]]", job["result"]!["chunks"]!.ToJsonString());
    }

    [Fact]
    public async Task Scripts_with_the_same_lock_share_one_installed_set_which_is_rebuilt_once_when_deleted()
    {
        await CreateAndResolveAsync("u/deps/share_a", "bun", BunWithPackages);
        await CreateAndResolveAsync("u/deps/share_b", "bun", BunWithPackages + "\n// the same imports, another script\n");
        var (a, b) = (await GetScriptAsync("u/deps/share_a"), await GetScriptAsync("u/deps/share_b"));
        Assert.Equal((string?)a["lock"], (string?)b["lock"]);

        var installs = fixture.Dependencies.Installs;
        Assert.Equal("success", (string?)(await RunAsync("u/deps/share_a", new { n = 1 }))["status"]);
        Assert.Equal("success", (string?)(await RunAsync("u/deps/share_b", new { n = 2 }))["status"]);
        Assert.Equal(installs, fixture.Dependencies.Installs); // the resolution's set served both
        var entries = Directory.GetDirectories(Path.Combine(fixture.Cache, "bun")).Where(d => !Path.GetFileName(d).StartsWith("staging-")).ToList();
        var entry = Assert.Single(entries, e => File.Exists(Path.Combine(e, "node_modules", "lodash", "package.json"))
                                                && File.Exists(Path.Combine(e, "node_modules", "is-odd", "package.json")));

        // Deleted (or damaged) under the silo: the next jobs install it again, once, concurrently.
        Directory.Delete(entry, recursive: true);
        var runs = await Task.WhenAll(RunAsync("u/deps/share_a", new { n = 5 }), RunAsync("u/deps/share_b", new { n = 6 }));
        Assert.All(runs, r => Assert.Equal("success", (string?)r["status"]));
        Assert.Equal(installs + 1, fixture.Dependencies.Installs);
        // A job's directory links the set; removing the job's directory left the shared set whole.
        Assert.True(File.Exists(Path.Combine(entry, "node_modules", "lodash", "package.json")));
    }

    [Fact]
    public async Task A_pinned_npm_version_is_the_one_loaded()
    {
        var resolution = await CreateAndResolveAsync("u/deps/bun_pinned", "bun", """
            // package.json: {"dependencies": {"is-odd": "2.0.0"}}
            import pkg from "is-odd/package.json";
            export async function main() { return pkg.version; }
            """);
        Assert.Equal("success", (string?)resolution["status"]);
        Assert.Equal("2.0.0", (string?)(await RunAsync("u/deps/bun_pinned", new { }))["result"]);
    }

    [Fact]
    public async Task An_unknown_npm_package_fails_the_dependencies_job_with_the_registry_answer_and_the_scripts_jobs_say_why()
    {
        const string missing = "orleans-triggers-no-such-package-4b1d";
        var resolution = await CreateAndResolveAsync("u/deps/bun_missing", "bun", $"import x from \"{missing}\";\nexport async function main() {{ return x; }}\n");
        Assert.Equal("failure", (string?)resolution["status"]);
        Assert.Equal("DependencyResolutionFailed", (string?)resolution["error"]!["name"]);
        Assert.Contains(missing, (string?)resolution["error"]!["message"]);
        Assert.Contains("404", (string?)resolution["logs"]);

        var script = await GetScriptAsync("u/deps/bun_missing");
        Assert.Null(script["lock"]);
        Assert.Contains(missing, (string?)script["lock_error_logs"]);
        var job = await RunAsync("u/deps/bun_missing", new { });
        Assert.Equal("DependenciesNotReady", (string?)job["error"]!["name"]);
        Assert.Contains("failed", (string?)job["error"]!["message"]);
    }

    [Fact]
    public async Task A_dedicated_worker_loads_its_packages_from_the_installed_set()
    {
        await Api.Http.PostAsJsonAsync($"/api/w/{Ws}/scripts/create", new
        {
            path = "u/deps/bun_dedicated", language = "bun", dedicated_worker = true,
            content = "import _ from \"lodash\";\nexport async function main(xs: number[]) { return _.sum(xs); }\n",
        });
        await Eventually.WaitAsync(() => GetScriptAsync("u/deps/bun_dedicated"), s => s["lock"] is not null, TimeSpan.FromMinutes(3), "the lock");
        Assert.Equal(6, (int)(await RunAsync("u/deps/bun_dedicated", new { xs = new[] { 1, 2, 3 } }))["result"]!);
        Assert.Equal(10, (int)(await RunAsync("u/deps/bun_dedicated", new { xs = new[] { 4, 6 } }))["result"]!);
    }

    [Fact]
    public async Task A_python_script_gets_the_newest_package_from_the_index_with_its_dependencies()
    {
        var resolution = await CreateAndResolveAsync("u/deps/py_packages", "python3", """
            import greeter

            def main(name: str):
                return {"greeting": greeter.greet(name), "version": greeter.VERSION}
            """);
        Assert.Equal("success", (string?)resolution["status"]);
        Assert.Equal("greeter==1.1.0\nshouter==2.0.0\n", (string?)(await GetScriptAsync("u/deps/py_packages"))["lock"]);

        var job = await RunAsync("u/deps/py_packages", new { name = "ada" });
        Assert.Equal("success", (string?)job["status"]);
        Assert.Equal("HI ADA!", (string?)job["result"]!["greeting"]);
        Assert.Equal("1.1.0", (string?)job["result"]!["version"]);
    }

    [Fact]
    public async Task A_pinned_python_requirement_is_the_one_loaded()
    {
        await CreateAndResolveAsync("u/deps/py_pinned", "python3", """
            import greeter  # greeter==1.0.0

            def main():
                return greeter.VERSION
            """);
        Assert.Equal("1.0.0", (string?)(await RunAsync("u/deps/py_pinned", new { }))["result"]);
    }

    [Fact]
    public async Task A_missing_python_package_fails_the_dependencies_job_with_pips_answer()
    {
        var resolution = await CreateAndResolveAsync("u/deps/py_missing", "python3", "import nosuchpackage\n\ndef main():\n    return 1\n");
        Assert.Equal("failure", (string?)resolution["status"]);
        Assert.Contains("No matching distribution found for nosuchpackage", (string?)resolution["logs"]);
        Assert.Equal("DependenciesNotReady", (string?)(await RunAsync("u/deps/py_missing", new { }))["error"]!["name"]);
    }

    [Fact]
    public async Task Over_its_size_limit_the_cache_drops_the_least_recently_used_sets_but_not_one_in_use()
    {
        var cache = Directory.CreateTempSubdirectory("triggers-evict-").FullName;
        try
        {
            var sets = new DependencySets(Options.Create(new RuntimeOptions
            {
                CacheDirectory = cache, CacheMaxMb = 1, PythonPackages = new PythonPackageOptions { IndexUrl = fixture.Index.Url },
            }), Sandboxes.Bubblewrap, NullLogger<DependencySets>.Instance);
            string OldSet(string name, TimeSpan lastUsed)
            {
                var entry = Directory.CreateDirectory(Path.Combine(cache, "python3", name)).FullName;
                Directory.CreateDirectory(Path.Combine(entry, "site-packages"));
                File.WriteAllBytes(Path.Combine(entry, "site-packages", "blob"), new byte[600 * 1024]);
                File.WriteAllText(Path.Combine(entry, ".complete"), "");
                File.SetLastWriteTimeUtc(Path.Combine(entry, ".complete"), DateTime.UtcNow - lastUsed);
                return entry;
            }
            var oldest = OldSet("oldest", TimeSpan.FromDays(3));
            var older = OldSet("older", TimeSpan.FromDays(2));
            var recent = OldSet("in-use", TimeSpan.FromMinutes(1));

            var resolution = await sets.ResolveAsync("ws", ScriptLanguage.Python3, ["shouter"], TimeSpan.FromMinutes(2), CancellationToken.None);

            Assert.True(resolution.Succeeded, resolution.Logs);
            Assert.False(Directory.Exists(oldest));
            Assert.False(Directory.Exists(older));
            Assert.True(Directory.Exists(recent)); // used a minute ago: a job may still be running with it
            var installed = Path.Combine(await sets.InstallAsync("ws", ScriptLanguage.Python3, resolution.Lock!, TimeSpan.FromMinutes(2), CancellationToken.None),
                "site-packages", "shouter", "__init__.py");
            Assert.True(File.Exists(installed));
            // The jobs' user wrote the set while installing it; once complete it is nobody's to change.
            Assert.Equal(UnixFileMode.None, File.GetUnixFileMode(installed) & (UnixFileMode.UserWrite | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite));
            Assert.Equal(UnixFileMode.None, File.GetUnixFileMode(Path.GetDirectoryName(installed)!) & (UnixFileMode.UserWrite | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite));
        }
        finally
        {
            Directory.Delete(cache, recursive: true);
        }
    }

    [Fact]
    public async Task A_bun_script_imports_another_workspace_script_at_its_latest_version()
    {
        await Api.CreateScriptAsync(Ws, "f/shared/math", "bun", "export function scale(x: number) { return x * 2; }\nexport function main() {}\n");
        await Api.CreateScriptAsync(Ws, "u/deps/uses_math", "bun", """
            import { scale } from "/f/shared/math";
            export async function main(x: number) { return scale(x); }
            """);
        Assert.Equal(42, (int)(await RunAsync("u/deps/uses_math", new { x = 21 }))["result"]!);

        // A new version of the imported script is what the next job gets; the importer is not saved again.
        using (var delete = await Api.Http.PostAsync($"/api/w/{Ws}/scripts/delete/p/f/shared/math", null)) delete.EnsureSuccessStatusCode();
        await Api.CreateScriptAsync(Ws, "f/shared/math", "bun", "export function scale(x: number) { return x * 10; }\nexport function main() {}\n");
        Assert.Equal(210, (int)(await RunAsync("u/deps/uses_math", new { x = 21 }))["result"]!);
    }

    [Fact]
    public async Task A_python_script_imports_workspace_scripts_as_modules_and_gets_their_packages_locked_with_its_own()
    {
        // The helper needs a package; the script that imports it has no import of its own outside the workspace.
        await Api.CreateScriptAsync(Ws, "f/shared/greetings", "python3", "import greeter  # greeter==1.0.0\n\ndef polite(name):\n    return greeter.greet(name) + ' (v' + greeter.VERSION + ')'\n\ndef main():\n    pass\n");
        var resolution = await CreateAndResolveAsync("u/deps/uses_greetings", "python3", """
            from f.shared.greetings import polite

            def main(name: str):
                return polite(name)
            """);
        Assert.Equal("success", (string?)resolution["status"]);
        Assert.Equal(["greeter==1.0.0"], (await GetScriptAsync("u/deps/uses_greetings"))["requirements"]!.AsArray().Select(r => (string)r!));
        Assert.Equal("HELLO ADA! (v1.0.0)", (string?)(await RunAsync("u/deps/uses_greetings", new { name = "ada" }))["result"]);
    }

    [Fact]
    public async Task Importing_a_workspace_script_that_does_not_exist_is_refused_when_saving()
    {
        using var response = await Api.Http.PostAsJsonAsync($"/api/w/{Ws}/scripts/create", new
        {
            path = "u/deps/orphan", language = "bun", content = "import { x } from \"/f/nowhere/helper\";\nexport async function main() { return x; }\n",
        });
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("f/nowhere/helper", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_script_that_needs_no_package_queues_no_dependencies_job_and_runs_at_once()
    {
        await Api.CreateScriptAsync(Ws, "u/deps/stdlib_only", "python3", "import json\n\ndef main():\n    return json.dumps([1])\n");
        Assert.Equal("[1]", (string?)(await RunAsync("u/deps/stdlib_only", new { }))["result"]);
        Assert.DoesNotContain(await Api.ListJobsAsync(Ws), j => (string?)j["script_path"] == "u/deps/stdlib_only" && (string?)j["job_kind"] == "dependencies");
    }
}
