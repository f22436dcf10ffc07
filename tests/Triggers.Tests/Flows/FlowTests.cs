using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Triggers.Tests.EndToEnd;
using Triggers.Tests.Infrastructure;

namespace Triggers.Tests.Flows;

/// <summary>Flows: steps as jobs of their own, static and JavaScript inputs, preprocessor and failure modules.</summary>
[Collection(EmbeddedSiloCollection.Name)]
public sealed class FlowTests(EmbeddedSiloFixture fixture)
{
    private static object RawBun(string content, object? transforms = null) =>
        new { type = "rawscript", language = "bun", content, input_transforms = transforms ?? new { } };

    private static object Js(string expr) => new { type = "javascript", expr };

    private static object Static(object value) => new { type = "static", value };

    private async Task<TriggerScenario> ScenarioWithFlowAsync(object value)
    {
        var s = await TriggerScenario.CreateAsync(fixture.Api, fixture.Kafka);
        await s.CreateScriptAsync("u/test/label", "python3", "def main(total: int, label: str):\n    return f'{label}={total}'\n");
        using var response = await s.Api.Http.PostAsJsonAsync($"/api/w/{s.Ws}/flows/create", new { path = "f/test/flow", summary = "test flow", value });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return s;
    }

    private static readonly object[] DoubleThenLabelModules =
    [
        new { id = "a", value = RawBun("export async function main(x: number) { return x * 2; }", new { x = Js("flow_input.n + 1") }) },
        new { id = "b", value = new { type = "script", path = "u/test/label", input_transforms = new { total = Js("results.a + previous_result"), label = Static("sum") } } },
    ];

    private async Task<List<JsonObject>> StepsOfAsync(TriggerScenario s, string flowJobId) =>
        (await s.Api.Http.GetFromJsonAsync<List<JsonObject>>($"/api/w/{s.Ws}/jobs/list?flow_job_id={flowJobId}"))!;

    [Fact]
    public async Task A_flow_run_through_the_api_chains_static_and_javascript_inputs_and_returns_its_last_steps_result()
    {
        var s = await ScenarioWithFlowAsync(new { modules = DoubleThenLabelModules });

        using var run = await s.Api.Http.PostAsJsonAsync($"/api/w/{s.Ws}/jobs/run/f/f/test/flow", new { n = 4 });
        Assert.Equal(HttpStatusCode.Created, run.StatusCode);
        var id = await run.Content.ReadAsStringAsync();

        var job = await Eventually.WaitAsync(() => s.Api.GetJobAsync(s.Ws, id),
            j => (string?)j["status"] is "success" or "failure", TimeSpan.FromSeconds(30), "the flow to finish");
        Assert.Equal("success", (string?)job["status"]);
        Assert.True((bool)job["is_flow"]!);
        Assert.Equal("sum=20", (string?)job["result"]); // a = (4 + 1) * 2 = 10; b gets 10 + 10

        var steps = await StepsOfAsync(s, id);
        Assert.Equal(2, steps.Count);
        Assert.All(steps, step => Assert.Equal("success", (string?)step["status"]));
        var b = Assert.Single(steps, step => (string?)step["script_path"] == "u/test/label");
        Assert.Equal(20, (int)b["args"]!["total"]!);
        Assert.Equal("sum", (string?)b["args"]!["label"]);
    }

    [Fact]
    public async Task Jobs_and_flow_steps_find_windmills_contextual_variables_in_their_environment()
    {
        const string reader = """
            export async function main() {
              const e = process.env;
              return [e.WM_WORKSPACE, e.WM_JOB_ID, e.WM_JOB_PATH, e.WM_FLOW_JOB_ID ?? null, e.WM_ROOT_FLOW_JOB_ID ?? null, e.WM_FLOW_PATH ?? null, e.WM_FLOW_STEP_ID ?? null];
            }
            """;
        var s = await ScenarioWithFlowAsync(new { modules = new object[] { new { id = "read", value = RawBun(reader) } } });
        await s.CreateScriptAsync("u/test/reader", "bun", reader);

        using var flowRun = await s.Api.Http.PostAsJsonAsync($"/api/w/{s.Ws}/jobs/run/f/f/test/flow", new { });
        var flowId = await flowRun.Content.ReadAsStringAsync();
        using var scriptRun = await s.Api.Http.PostAsJsonAsync($"/api/w/{s.Ws}/jobs/run/p/u/test/reader", new { });
        var scriptId = await scriptRun.Content.ReadAsStringAsync();
        var flow = await Eventually.WaitAsync(() => s.Api.GetJobAsync(s.Ws, flowId), j => (string?)j["status"] is "success" or "failure", TimeSpan.FromSeconds(30), "the flow to finish");
        var script = await Eventually.WaitAsync(() => s.Api.GetJobAsync(s.Ws, scriptId), j => (string?)j["status"] is "success" or "failure", TimeSpan.FromSeconds(30), "the script to finish");

        Assert.Equal("success", (string?)script["status"]);
        Assert.Equal($$"""["{{s.Ws}}","{{scriptId}}","u/test/reader",null,null,null,null]""", script["result"]!.ToJsonString());
        Assert.Equal("success", (string?)flow["status"]);
        var step = Assert.Single(await StepsOfAsync(s, flowId));
        Assert.Equal($$"""["{{s.Ws}}","{{(string)step["id"]!}}","f/test/flow/read","{{flowId}}","{{flowId}}","f/test/flow","read"]""", flow["result"]!.ToJsonString());
    }

    [Fact]
    public async Task A_trigger_runs_a_flow_per_message_with_the_preprocessor_modules_output_as_flow_input()
    {
        var s = await ScenarioWithFlowAsync(new
        {
            modules = DoubleThenLabelModules,
            preprocessor_module = new
            {
                id = "pre",
                value = RawBun("export async function main(event: any) { return { n: JSON.parse(atob(event.payload)).n, topic: event.topic }; }"),
            },
        });
        await s.CreateTriggerAsync("f/test/flow", new { is_flow = true });

        await s.ProduceAsync("""{"n": 1}""", """{"n": 2}""");

        var jobs = await s.Api.WaitForFinishedJobsAsync(s.Ws, TriggerScenario.Trigger, 2);
        Assert.All(jobs, j => Assert.Equal("success", (string?)j["status"]));
        Assert.Equal(["sum=12", "sum=8"], jobs.Select(j => (string)j["result"]!).Order());
        Assert.All(jobs, j => Assert.Equal(s.Topic, (string?)j["args"]!["topic"]));
        Assert.Equal(3, (await StepsOfAsync(s, (string)jobs[0]["id"]!)).Count); // preprocessor, a, b
    }

    [Theory]
    [InlineData("bun", "export async function preprocessor(event: any) { return { n: JSON.parse(atob(event.payload)).n, topic: event.topic }; }")]
    [InlineData("python3", "import base64, json\n\ndef preprocessor(event):\n    return {'n': json.loads(base64.b64decode(event['payload']))['n'], 'topic': event['topic']}\n")]
    public async Task A_preprocessor_module_that_exports_only_preprocessor_as_windmills_template_does_gives_the_flow_its_input(string language, string preprocessor)
    {
        var s = await ScenarioWithFlowAsync(new
        {
            modules = DoubleThenLabelModules,
            preprocessor_module = new { id = "preprocessor", value = new { type = "rawscript", language, content = preprocessor, input_transforms = new { } } },
        });
        await s.CreateTriggerAsync("f/test/flow", new { is_flow = true });

        await s.ProduceAsync("""{"n": 1}""", """{"n": 2}""");

        var jobs = await s.Api.WaitForFinishedJobsAsync(s.Ws, TriggerScenario.Trigger, 2);
        Assert.All(jobs, j => Assert.True((string?)j["status"] == "success", j.ToJsonString()));
        Assert.Equal(["sum=12", "sum=8"], jobs.Select(j => (string)j["result"]!).Order());
        Assert.All(jobs, j => Assert.Equal(s.Topic, (string?)j["args"]!["topic"]));
    }

    [Fact]
    public async Task A_step_that_exports_only_preprocessor_is_refused_outside_the_preprocessor_module()
    {
        var s = await TriggerScenario.CreateAsync(fixture.Api, fixture.Kafka);
        using var response = await s.Api.Http.PostAsJsonAsync($"/api/w/{s.Ws}/flows/create", new
        {
            path = "f/test/flow",
            value = new { modules = new object[] { new { id = "a", value = RawBun("export async function preprocessor(event: any) { return {}; }") } } },
        });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("main", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_failing_step_fails_the_flow_and_runs_the_failure_module_with_the_error()
    {
        var marker = JobStateServer.Shared.NewKey("failure-module");
        var s = await ScenarioWithFlowAsync(new
        {
            modules = new object[]
            {
                new { id = "ok", value = RawBun("export async function main() { return 1; }") },
                new { id = "boom", value = RawBun("export async function main() { throw new SyntaxError('bad input'); }") },
                new { id = "never", value = RawBun("export async function main() { return 'unreachable'; }") },
            },
            failure_module = new
            {
                id = "failure",
                value = RawBun($$"""
                    export async function main(error: any, flow_input: any) { await fetch("{{marker}}", { method: "PUT", body: JSON.stringify({ error, flow_input }) }); return "noted"; }
                    """),
            },
        });

        using var run = await s.Api.Http.PostAsJsonAsync($"/api/w/{s.Ws}/jobs/run/f/f/test/flow", new { n = 7 });
        var id = await run.Content.ReadAsStringAsync();
        var job = await Eventually.WaitAsync(() => s.Api.GetJobAsync(s.Ws, id),
            j => (string?)j["status"] is "success" or "failure", TimeSpan.FromSeconds(30), "the flow to finish");

        Assert.Equal("failure", (string?)job["status"]);
        Assert.Equal("SyntaxError", (string?)job["error"]!["name"]);
        Assert.Equal("Step 'boom' failed: bad input", (string?)job["error"]!["message"]);
        var steps = await StepsOfAsync(s, id);
        Assert.Equal(["f/test/flow/boom: failure", "f/test/flow/failure: success", "f/test/flow/ok: success"],
            steps.Select(step => $"{step["script_path"]}: {step["status"]}").Order());
        var reported = JobStateServer.Shared.Get(marker);
        Assert.NotNull(reported);
        var noted = JsonNode.Parse(reported)!;
        Assert.Equal("Step 'boom' failed: bad input", (string?)noted["error"]!["message"]);
        Assert.Equal(7, (int)noted["flow_input"]!["n"]!);
    }

    private async Task<JsonObject> RunFlowToTheEndAsync(TriggerScenario s, object input)
    {
        using var run = await s.Api.Http.PostAsJsonAsync($"/api/w/{s.Ws}/jobs/run/f/f/test/flow", input);
        var id = await run.Content.ReadAsStringAsync();
        // Well under the job lease (5 min): a flow that threw in the worker used to stay running until then.
        return await Eventually.WaitAsync(() => s.Api.GetJobAsync(s.Ws, id),
            j => (string?)j["status"] is "success" or "failure", TimeSpan.FromSeconds(30), "the flow to finish");
    }

    [Fact]
    public async Task A_failure_module_whose_input_cannot_be_computed_still_ends_the_flow_with_its_error()
    {
        var s = await ScenarioWithFlowAsync(new
        {
            modules = new object[] { new { id = "boom", value = RawBun("export async function main() { throw new Error('bad input'); }") } },
            failure_module = new
            {
                id = "failure",
                value = RawBun("export async function main(detail: any) { return detail; }", new { detail = Js("flow_input.missing.deeper") }),
            },
        });

        var job = await RunFlowToTheEndAsync(s, new { n = 1 });

        Assert.Equal("failure", (string?)job["status"]);
        var message = (string?)job["error"]!["message"];
        Assert.StartsWith("Step 'boom' failed: bad input", message);
        Assert.Contains("failure module 'failure' did not run", message);
    }

    [Fact]
    public async Task An_input_expression_that_allocates_without_bound_fails_its_flow_instead_of_exhausting_the_silo()
    {
        // Without a memory limit this holds 4 GiB of strings by its last statement (well within the statement limit).
        const string hog = "(() => { const kept = []; for (let i = 0; i < 2048; i++) kept.push('x'.repeat(1 << 20) + i); return kept.length; })()";
        var s = await ScenarioWithFlowAsync(new
        {
            modules = new object[] { new { id = "a", value = RawBun("export async function main(x: number) { return x; }", new { x = Js(hog) }) } },
        });

        var job = await RunFlowToTheEndAsync(s, new { n = 1 });

        Assert.Equal("failure", (string?)job["status"]);
        Assert.Equal("InputTransformError", (string?)job["error"]!["name"]);
        var message = (string)job["error"]!["message"]!;
        Assert.True(message.Contains("memory", StringComparison.OrdinalIgnoreCase), message);
    }

    [Theory]
    [InlineData("""{"modules": []}""", "value.modules")]
    [InlineData("""{"modules": [{"id": "a b", "value": {"type": "rawscript", "language": "bun", "content": "export function main() {}"}}]}""", "value.modules[0].id")]
    [InlineData("""{"modules": [{"id": "a", "value": {"type": "script", "path": "u/test/missing"}}]}""", "value.modules[0].value.path")]
    [InlineData("""{"modules": [{"id": "a", "value": {"type": "rawscript", "language": "bun", "content": "export function main() {}", "input_transforms": {"x": {"type": "javascript", "expr": "1 +"}}}}]}""", "value.modules[0].value.input_transforms.x")]
    [InlineData("""{"modules": [{"id": "a", "value": {"type": "loop"}}]}""", "value.modules[0].value.type")]
    public async Task An_invalid_flow_is_refused_naming_the_field(string value, string field)
    {
        var s = await TriggerScenario.CreateAsync(fixture.Api, fixture.Kafka);
        using var response = await s.Api.Http.PostAsJsonAsync($"/api/w/{s.Ws}/flows/create", new { path = "f/test/bad", value = JsonNode.Parse(value) });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(field, (string?)(await response.Content.ReadFromJsonAsync<JsonObject>())!["field"]);
    }
}
