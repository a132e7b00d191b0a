using System.Diagnostics;

namespace Gatehouse.Proxy.Telemetry;

/// <summary>
/// One request as the access log will print it. A struct of references the request already holds
/// (strings Kestrel and the route table allocated anyway), so queuing it allocates nothing; the
/// background writer does all formatting.
/// </summary>
internal readonly record struct AccessLogEntry
{
    public required DateTime Time { get; init; }

    public required string Host { get; init; }

    public required string Method { get; init; }

    public required string Path { get; init; }

    public required int Status { get; init; }

    public required long RequestSize { get; init; }

    public required long ResponseSize { get; init; }

    public required long DurationTicks { get; init; }

    /// <summary>"scheme://address:port" of the backend endpoint, null when no backend was chosen.</summary>
    public required string? Upstream { get; init; }

    /// <summary>Stopwatch ticks spent forwarding; negative when no backend was tried.</summary>
    public required long UpstreamTicks { get; init; }

    /// <summary>"namespace/name", "" when no Ingress routed the request.</summary>
    public required string Ingress { get; init; }

    public required bool Canary { get; init; }

    /// <summary>The request span's trace id when tracing is on.</summary>
    public required ActivityTraceId TraceId { get; init; }

    /// <summary>The incoming traceparent header when tracing is off (its trace id is logged).</summary>
    public required string? TraceParent { get; init; }

    /// <summary>"HTTP/1.1", "HTTP/2": the request's protocol, as Kestrel and the HTTP/2 server name it.</summary>
    public required string Protocol { get; init; }
}
