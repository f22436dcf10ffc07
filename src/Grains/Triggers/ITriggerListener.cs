namespace Triggers.Triggers;

/// <summary>
/// A running trigger's source of events (a Kafka consumer, …), owned by its trigger grain from start to dispose.
/// It runs off the Orleans scheduler and reports how it is doing through <see cref="Status"/>.
/// </summary>
public interface ITriggerListener<out TStatus> : IAsyncDisposable where TStatus : ITriggerStatus
{
    TStatus Status { get; }

    /// <summary>When the listener last went round its loop: proof that it is alive.</summary>
    DateTimeOffset? LastPoll { get; }
}
