using Microsoft.Extensions.DependencyInjection;
using Triggers.Telemetry;
using Triggers.Tests.Infrastructure;

namespace Triggers.Tests.EndToEnd;

/// <summary>
/// Two silos in one process, each with its own <c>Telemetry:MeterName</c> (as <see cref="SiloFactory"/> sets it):
/// each exports only the metrics it recorded. With one shared name, the first exported the second's too.
/// </summary>
public sealed class MetricsIsolationTests
{
    [Fact]
    public async Task Each_silo_exports_the_metrics_it_recorded_whichever_started_first()
    {
        await using var first = new SiloFactory(new Dictionary<string, string?>());
        await using var second = new SiloFactory(new Dictionary<string, string?>());
        var (firstApi, secondApi) = (first.CreateApiClient(), second.CreateApiClient());
        await firstApi.Http.GetStringAsync("/metrics");
        await secondApi.Http.GetStringAsync("/metrics");

        first.Services.GetRequiredService<TriggerMetrics>().BatchStored("ws/first", 3, 3, 0, TimeSpan.FromMilliseconds(1));
        second.Services.GetRequiredService<TriggerMetrics>().BatchStored("ws/second", 5, 5, 0, TimeSpan.FromMilliseconds(1));

        var firstLines = await Eventually.WaitAsync(() => firstApi.Http.GetStringAsync("/metrics"), m => m.Contains("ws/first"), TimeSpan.FromSeconds(10), "the first silo's metric");
        var secondLines = await Eventually.WaitAsync(() => secondApi.Http.GetStringAsync("/metrics"), m => m.Contains("ws/second"), TimeSpan.FromSeconds(10), "the second silo's metric");
        Assert.DoesNotContain("ws/second", firstLines);
        Assert.DoesNotContain("ws/first", secondLines);
    }
}
