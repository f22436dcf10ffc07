using System.Text.Json;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;

namespace Triggers.Triggers.Kafka;

/// <summary>
/// A capture's consumer: a poll loop on a thread of its own that reads new messages under a consumer group of its own
/// (never a trigger's: it would take partitions from a live trigger) and hands each one over as the arguments a job
/// would get. It commits nothing, so every capture session starts at the topics' ends.
/// </summary>
public sealed class KafkaCaptureListener : IDisposable
{
    private static readonly TimeSpan RetryPause = TimeSpan.FromSeconds(2);

    private readonly KafkaListenerSettings _settings;
    private readonly KafkaListenerOptions _options;
    private readonly Action<string, string> _captured;
    private readonly Action<string?> _status;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Thread _thread;

    /// <param name="captured">Receives main's arguments and the preprocessor's, as JSON.</param>
    /// <param name="status">Receives the listener's error, or null once it consumes.</param>
    public KafkaCaptureListener(KafkaListenerSettings settings, KafkaListenerOptions options, Action<string, string> captured, Action<string?> status, ILogger logger)
    {
        _settings = settings;
        _options = options;
        _captured = captured;
        _status = status;
        _logger = logger;
        _thread = new Thread(Run) { IsBackground = true, Name = $"kafka-capture {settings.WorkspaceId}/{settings.RunnablePath}" };
        // Not the grain call's execution context: its request context (who called the API) must not outlive the call.
        _thread.UnsafeStart();
    }

    private void Run()
    {
        var events = new KafkaJobFactory(_settings);
        while (!_stopping.IsCancellationRequested)
        {
            try
            {
                using var kerberos = KerberosFiles.For(_settings.Connection.Security);
                var config = KafkaTriggerListener.ConsumerConfig(_settings, _options, kerberos);
                KafkaClientConfigs.CheckKerberos(config, _settings.Connection);
                using var consumer = new ConsumerBuilder<byte[]?, byte[]?>(config)
                    .SetErrorHandler((_, error) => _status($"{KerberosHints.Explain(error.Reason)} ({error.Code})"))
                    // Each partition starts at its end as of now, fixed before it reports listening: a message produced
                    // once the capture listens is caught (left to "latest", the end would be read at the first fetch).
                    .SetPartitionsAssignedHandler((c, partitions) =>
                    {
                        var ends = partitions.Select(p => new TopicPartitionOffset(p, c.QueryWatermarkOffsets(p, TimeSpan.FromSeconds(10)).High)).ToList();
                        _status(null);
                        return ends;
                    })
                    .Build();
                consumer.Subscribe(_settings.Topics);
                while (!_stopping.IsCancellationRequested)
                {
                    if (consumer.Consume(TimeSpan.FromMilliseconds(100)) is not { IsPartitionEOF: false } message) continue;
                    var mainArgs = JsonSerializer.Serialize(new Dictionary<string, string?>
                    {
                        ["payload"] = message.Message.Value is { } value ? Convert.ToBase64String(value) : null,
                    });
                    _captured(mainArgs, $$"""{"event":{{events.EventJson(message)}}}""");
                }
                consumer.Close();
            }
            catch (Exception e) when (!_stopping.IsCancellationRequested)
            {
                _status($"The capture's consumer stopped: {KerberosHints.Explain(e.Message)} Retrying in {RetryPause.TotalSeconds:0} s.");
                _logger.LogWarning("Capture for {Runnable}: consumer failed ({Error})", _settings.RunnablePath, e.Message);
                _stopping.Token.WaitHandle.WaitOne(RetryPause);
            }
            catch (Exception e)
            {
                _logger.LogDebug(e, "Capture for {Runnable}: error while stopping", _settings.RunnablePath);
            }
        }
    }

    public void Dispose()
    {
        _stopping.Cancel();
        _thread.Join(TimeSpan.FromSeconds(15));
        _stopping.Dispose();
    }
}
