using Triggers.Tests.Infrastructure;
using Triggers.Triggers.Kafka.Development;

namespace Triggers.Tests.Platform;

/// <summary>
/// The trigger console at /console, used as a person would in a real Chromium against a silo process: sign in, create a
/// trigger through the form (a bad value is shown beside its field), watch its jobs appear, read a job's logs, act on
/// the trigger. Screenshots of each page land in the test output's <c>screenshots</c> folder.
/// </summary>
public sealed class ConsoleTests : IAsyncLifetime
{
    private const string Ws = "console";
    private const string TriggerPath = "u/admin/orders_trigger";
    private readonly MockKafkaCluster _kafka = new(brokers: 1);
    private readonly string _topic = $"orders-{Guid.NewGuid():N}";
    private SiloProcess _silo = null!;
    private ChromiumPage _page = null!;

    public async Task InitializeAsync()
    {
        _kafka.CreateTopic(_topic, 2);
        _silo = new SiloProcess(null, $"console-{Guid.NewGuid():N}", new Dictionary<string, string> { ["DevKafka__Enabled"] = "false" });
        await _silo.StartAsync();
        var api = _silo.CreateApiClient();
        await api.CreateWorkspaceAsync(Ws);
        await api.CreateKafkaResourceAsync(Ws, "u/admin/kafka", _kafka.BootstrapServers);
        await api.CreateScriptAsync(Ws, "u/admin/orders", "bun",
            "export async function main(payload: string) { console.log(`handled ${atob(payload)}`); return atob(payload).length; }");
        _page = await ChromiumPage.OpenAsync();
    }

    private async Task SignInAsync()
    {
        await _page.NavigateAsync($"http://127.0.0.1:{_silo.HttpPort}/console");
        await _page.WaitForAsync("document.getElementById('sign-in')", "the sign-in form");
        await _page.EvaluateAsync($"(() => {{ const f = document.getElementById('sign-in'); f.elements.token.value = '{SiloFactory.AdminToken}'; f.requestSubmit(); }})()");
        await _page.WaitForAsync("document.body.innerText.includes('No triggers yet')", "the empty trigger list of the workspace");
    }

    public async Task DisposeAsync()
    {
        await _page.DisposeAsync();
        await _silo.DisposeAsync();
        _kafka.Dispose();
    }

    [Fact]
    public async Task A_link_that_climbs_out_of_its_route_is_refused_and_no_page_can_be_framed()
    {
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{_silo.HttpPort}") };
        using var page = await http.GetAsync("/console");
        Assert.Contains("script-src 'self'", page.Headers.GetValues("Content-Security-Policy").Single());
        Assert.Contains("frame-ancestors 'none'", page.Headers.GetValues("Content-Security-Policy").Single());
        foreach (var path in new[] { "/console", "/api/version", "/api/docs/", "/health" })
        {
            using var answer = await http.GetAsync(path);
            Assert.Equal("DENY", answer.Headers.GetValues("X-Frame-Options").Single());
            Assert.Equal("nosniff", answer.Headers.GetValues("X-Content-Type-Options").Single());
        }

        // A link someone sends a signed-in person: the path in it must not take their token to another route (tokens/list).
        await SignInAsync();
        await _page.EvaluateAsync("location.hash = '#/t/../../../tokens/list'");
        await _page.WaitForAsync("document.body.innerText.includes('is not an item path')", "the console to refuse the path");
    }

    [Fact]
    public async Task A_trigger_created_through_the_form_shows_its_jobs_and_their_logs()
    {
        await SignInAsync();

        await _page.EvaluateAsync("location.hash = '#/new'");
        await _page.WaitForAsync("document.getElementById('trigger-form')", "the trigger form");
        await FillFormAsync(batchSize: "0");
        await _page.WaitForAsync("document.querySelector('[data-error-for=batch_size]').innerText.includes('0 is out of range')", "the batch_size error beside its field");
        await _page.ScreenshotAsync("console-form-error");
        Assert.Contains("#/new", (await _page.EvaluateAsync("location.hash"))!.ToString());

        await FillFormAsync(batchSize: "1");
        await _page.WaitForAsync($"location.hash === '#/t/{TriggerPath}' && document.body.innerText.includes('listening')", "the new trigger listening");

        await TestProducer.ProduceAsync(_kafka.BootstrapServers, _topic, ["first", "second", "third"]);
        await _page.WaitForAsync("document.querySelectorAll('#jobs tr[data-job] .state.success').length === 3", "three successful jobs on the trigger's page");
        await _page.ScreenshotAsync("console-trigger");

        await _page.EvaluateAsync("document.querySelector('#jobs tr[data-job] a').click()");
        await _page.WaitForAsync("document.getElementById('logs') && /handled (first|second|third)/.test(document.getElementById('logs').innerText)", "the job's logs");
        await _page.ScreenshotAsync("console-job");
        Assert.DoesNotContain("\nnull\n", await _page.TextAsync()); // nothing missing is shown as a word

        await _page.EvaluateAsync("location.hash = '#/'");
        await _page.WaitForAsync($"document.querySelector('tr[data-trigger=\"{TriggerPath}\"] .state.listening')", "the trigger listening in the list");
        await _page.ScreenshotAsync("console-triggers");

        // Actions go through the API: disabling stops the listener, and the page says so.
        await _page.EvaluateAsync($"location.hash = '#/t/{TriggerPath}'");
        await _page.WaitForAsync("document.querySelector('[data-action=Disable]')", "the trigger's actions");
        await _page.EvaluateAsync("document.querySelector('[data-action=Disable]').click()");
        await _page.WaitForAsync("document.body.innerText.includes('\"mode\": \"disabled\"')", "the trigger disabled");
        var trigger = await _silo.CreateApiClient().GetTriggerAsync(Ws, TriggerPath);
        Assert.Equal("disabled", (string?)trigger["mode"]);
    }

    private Task FillFormAsync(string batchSize) => _page.EvaluateAsync($$"""
        (() => {
          const f = document.getElementById('trigger-form');
          f.elements.path.value = '{{TriggerPath}}';
          f.elements.script_path.value = 'u/admin/orders';
          f.elements.kafka_resource_path.value = 'u/admin/kafka';
          f.elements.topics.value = '{{_topic}}';
          f.elements.auto_offset_reset.value = 'earliest';
          f.elements.batch_size.value = '{{batchSize}}';
          f.requestSubmit();
        })()
        """);
}
