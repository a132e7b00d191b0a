namespace Gatehouse.Controller.Events;

/// <summary>Tuning of <see cref="KubernetesEventRecorder"/>; the defaults follow client-go's recorder.</summary>
public sealed record EventRecorderOptions
{
    /// <summary>source.host and reportingInstance of every event: the pod name.</summary>
    public required string Instance { get; init; }

    /// <summary>Events waiting to be written; more are dropped.</summary>
    public int QueueCapacity { get; init; } = 1000;

    /// <summary>Writes allowed per object in a burst.</summary>
    public double Burst { get; init; } = 25;

    /// <summary>One more write per object per interval once the burst is spent.</summary>
    public TimeSpan RefillInterval { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Distinct events remembered for aggregation.</summary>
    public int AggregationCacheSize { get; init; } = 4096;

    /// <summary>How long shutdown waits for queued events.</summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(2);
}
