using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Triggers.Telemetry;

/// <summary>
/// The service's OpenTelemetry metrics (meter <see cref="MeterName"/>), tagged by trigger (<c>{workspace}/{path}</c>):
/// messages received and filtered, jobs created, commit latency, consumer lag, job durations and outcomes.
/// </summary>
public sealed class TriggerMetrics : IDisposable
{
    public const string MeterName = "Orleans.Triggers";

    /// <summary>
    /// The meter name of this process's silo: <see cref="MeterName"/>, unless <c>Telemetry:MeterName</c> says
    /// otherwise. OpenTelemetry listens to meters by name across the whole process, so silos that share a process
    /// (tests do) each need a name of their own to export only their own metrics.
    /// </summary>
    public static string MeterNameOf(Microsoft.Extensions.Configuration.IConfiguration configuration) =>
        configuration["Telemetry:MeterName"] is { Length: > 0 } name ? name : MeterName;

    private readonly Meter _meter;
    private readonly Counter<long> _received;
    private readonly Counter<long> _filtered;
    private readonly Counter<long> _created;
    private readonly Histogram<double> _commit;
    private readonly Counter<long> _fenced;
    private readonly Counter<long> _completed;
    private readonly Histogram<double> _duration;
    private readonly ConcurrentDictionary<string, Func<IEnumerable<PartitionLag>>> _listening = new();

    public TriggerMetrics(IMeterFactory meters, Microsoft.Extensions.Configuration.IConfiguration configuration)
    {
        _meter = meters.Create(MeterNameOf(configuration));
        _received = _meter.CreateCounter<long>("triggers.messages.received", "{message}", "Messages read from Kafka by a trigger");
        _filtered = _meter.CreateCounter<long>("triggers.messages.filtered", "{message}", "Messages committed without a job because the trigger's filters did not match");
        _created = _meter.CreateCounter<long>("triggers.jobs.created", "{job}", "Jobs created for messages (redeliveries that found their job excluded)");
        _commit = _meter.CreateHistogram<double>("triggers.commit.duration", "ms", "Time to store a batch's jobs and commit its offsets");
        _fenced = _meter.CreateCounter<long>("triggers.writes.fenced", "{write}", "Batches refused because another consumer had taken one of their partitions");
        _completed = _meter.CreateCounter<long>("triggers.jobs.completed", "{job}", "Finished job runs by outcome");
        _duration = _meter.CreateHistogram<double>("triggers.job.duration", "ms", "Duration of job runs by outcome");
        _meter.CreateObservableGauge("triggers.consumer.lag", ObserveLag, "{message}", "Messages behind the end of each assigned partition");
    }

    /// <summary>Makes a running listener's lag observable until the returned handle is disposed.</summary>
    public IDisposable TrackLag(string trigger, Func<IEnumerable<PartitionLag>> lags)
    {
        _listening[trigger] = lags;
        return new Untrack(() => _listening.TryRemove(trigger, out _));
    }

    public void BatchStored(string trigger, int received, int created, int filtered, TimeSpan commitDuration)
    {
        var tag = new KeyValuePair<string, object?>("trigger", trigger);
        _received.Add(received, tag);
        _created.Add(created, tag);
        if (filtered > 0) _filtered.Add(filtered, tag);
        _commit.Record(commitDuration.TotalMilliseconds, tag);
    }

    public void WriteFenced(string trigger) => _fenced.Add(1, new KeyValuePair<string, object?>("trigger", trigger));

    public void JobFinished(string? trigger, bool isFlow, bool succeeded, TimeSpan duration)
    {
        var tags = new TagList
        {
            { "trigger", trigger ?? "" },
            { "runnable", isFlow ? "flow" : "script" },
            { "outcome", succeeded ? "success" : "failure" },
        };
        _completed.Add(1, tags);
        _duration.Record(duration.TotalMilliseconds, tags);
    }

    private IEnumerable<Measurement<long>> ObserveLag() =>
        from trigger in _listening
        from partition in trigger.Value()
        where partition.Lag is not null
        select new Measurement<long>(partition.Lag!.Value,
            new("trigger", trigger.Key), new("topic", partition.Topic), new("partition", partition.Partition));

    public void Dispose() => _meter.Dispose();

    private sealed class Untrack(Action untrack) : IDisposable
    {
        public void Dispose() => untrack();
    }
}

/// <summary>How far a listener is behind the end of one partition of its source; null while unknown.</summary>
public readonly record struct PartitionLag(string Topic, int Partition, long? Lag);
