using System.Diagnostics;

namespace Gatehouse.Proxy.Telemetry;

/// <summary>What <see cref="RequestTelemetry.Start"/> hands the request handler to give back at the end: a value, never an allocation.</summary>
internal readonly struct RequestObservation
{
    public RequestObservation(long startedAt, Activity? activity)
    {
        StartedAt = startedAt;
        Activity = activity;
    }

    /// <summary>Stopwatch timestamp of the request's arrival at the handler.</summary>
    public long StartedAt { get; }

    /// <summary>The request's span when tracing is on.</summary>
    public Activity? Activity { get; }
}
