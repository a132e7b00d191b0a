using System.Diagnostics.Metrics;
using Gatehouse.Proxy.Configuration;

namespace Gatehouse.Proxy.Telemetry;

/// <summary>
/// The proxy's instruments, all on one meter. What the route table already knows (generation, load
/// time) is observed at scrape time rather than duplicated; events (swaps, rejections) are recorded.
/// </summary>
internal sealed class ProxyMetrics : IDisposable
{
    public const string MeterName = "Gatehouse.Proxy";

    private readonly Meter _meter;
    private readonly Histogram<double> _swapDuration;
    private readonly Counter<long> _rejected;
    private readonly Counter<long> _tlsHandshakes;
    private readonly Counter<long> _tlsHandshakeFailures;
    private readonly Counter<long> _http2Errors;
    private readonly Counter<long> _http1Rejections;
    private volatile Func<IEnumerable<(string Host, DateTimeOffset NotAfter)>>? _certificates;

    /// <param name="state">The route table state the gauges read.</param>
    /// <param name="scope">Meter scope, so an exporter can pick this server's meter out of a process hosting several.</param>
    public ProxyMetrics(ProxyConfigState state, object? scope = null)
    {
        ArgumentNullException.ThrowIfNull(state);
        _meter = new Meter(new MeterOptions(MeterName) { Scope = scope });

        _meter.CreateObservableGauge(
            "gatehouse_config_generation",
            () => state.Current is { } table ? [new Measurement<long>(table.Generation)] : Array.Empty<Measurement<long>>(),
            description: "Generation of the config the proxy is routing with; absent until one is loaded.");

        _meter.CreateObservableGauge(
            "gatehouse_config_last_reload_success_timestamp_seconds",
            () => state.Current is { } table
                ? [new Measurement<double>(table.Info.LoadedAt.ToUnixTimeMilliseconds() / 1000.0)]
                : Array.Empty<Measurement<double>>(),
            unit: "s",
            description: "Unix time at which the config in use was applied.");

        // Swaps are milliseconds for typical configs; the upper buckets catch pathological ones.
        _swapDuration = _meter.CreateHistogram<double>(
            "gatehouse_config_swap_duration_seconds",
            unit: "s",
            description: "Time to decode a published config, build its route table and swap it in.",
            tags: null,
            advice: new InstrumentAdvice<double>
            {
                HistogramBucketBoundaries = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
            });

        _rejected = _meter.CreateCounter<long>(
            "gatehouse_config_rejected_total",
            description: "Published configs or channel states the proxy refused, by reason; the last good config kept serving.");

        _http2Errors = _meter.CreateCounter<long>(
            "gatehouse_http2_errors_total",
            description: "HTTP/2 connections (GOAWAY) and streams (RST_STREAM) the proxy's own HTTP/2 server ended for a client's error, by scope and RFC 9113 error code.");

        _http1Rejections = _meter.CreateCounter<long>(
            "gatehouse_http1_rejected_requests_total",
            description: "HTTP/1.x requests the proxy's own HTTP/1.1 server refused before routing (malformed or oversized heads, ambiguous framing), by status answered.");

        _tlsHandshakes = _meter.CreateCounter<long>(
            "gatehouse_tls_handshakes_total",
            description: "Completed TLS handshakes on the traffic listener, by protocol and certificate key type.");

        _tlsHandshakeFailures = _meter.CreateCounter<long>(
            "gatehouse_tls_handshake_failures_total",
            description: "TLS handshakes the proxy's own HTTPS listener gave up on, by reason: protocol (not TLS, nothing in common, a malformed message), closed (the client left), timeout.");

        _meter.CreateObservableCounter(
            "gatehouse_upstream_ejections_total",
            () => ObserveEndpoints(state, ejectedNow: false),
            description: "Times passive health ejected an endpoint of a backend (--upstream-max-fails failures within --upstream-fail-timeout).");

        _meter.CreateObservableGauge(
            "gatehouse_upstream_endpoints_ejected",
            () => ObserveEndpoints(state, ejectedNow: true),
            description: "Endpoints of a backend that passive health currently keeps out of rotation.");

        // Divided by requests served, this is what a request costs the GC; the load harness reports it per peer.
        _meter.CreateObservableCounter(
            "gatehouse_process_allocated_bytes_total",
            () => GC.GetTotalAllocatedBytes(precise: false),
            unit: "By",
            description: "Bytes the proxy process has allocated on the managed heap since it started.");

        _meter.CreateObservableGauge(
            "gatehouse_tls_certificate_expiry_timestamp_seconds",
            ObserveCertificates,
            unit: "s",
            description: "Unix time at which the certificate served for a host expires.");
    }

    /// <summary>Per backend: ejections so far, or endpoints ejected right now; backends without any are left out.</summary>
    private static IEnumerable<Measurement<long>> ObserveEndpoints(ProxyConfigState state, bool ejectedNow)
    {
        if (state.Current is not { } table)
        {
            yield break;
        }

        var now = System.Diagnostics.Stopwatch.GetTimestamp();
        foreach (var (name, backend) in table.Backends)
        {
            long value = 0;
            foreach (var endpoint in backend.States.Values)
            {
                value += ejectedNow ? (endpoint.IsAvailable(now) ? 0 : 1) : endpoint.Ejections;
            }

            if (value != 0)
            {
                yield return new Measurement<long>(value, new KeyValuePair<string, object?>("backend", name));
            }
        }
    }

    public void ConfigSwapped(TimeSpan elapsed) => _swapDuration.Record(elapsed.TotalSeconds);

    /// <summary>Once per bad generation or channel state: the watcher calls it where it logs.</summary>
    public void ConfigRejected(string reason) => _rejected.Add(1, new KeyValuePair<string, object?>("reason", reason));

    /// <summary>
    /// Hook for TLS termination: call once per completed handshake. <paramref name="keyType"/> is the
    /// served certificate's key algorithm, lower case ("rsa", "ecdsa").
    /// </summary>
    public void TlsHandshakeCompleted(System.Security.Authentication.SslProtocols protocol, string keyType)
        => _tlsHandshakes.Add(
            1,
            new KeyValuePair<string, object?>("protocol", ProtocolLabel(protocol)),
            new KeyValuePair<string, object?>("key_type", keyType));

    /// <summary>A handshake on the proxy's own HTTPS listener that did not complete; <paramref name="reason"/> is protocol, closed or timeout.</summary>
    public void TlsHandshakeFailed(string reason)
        => _tlsHandshakeFailures.Add(1, new KeyValuePair<string, object?>("reason", reason));

    /// <summary>The key_type label of a handshake: the served certificate's key, "unknown" when no ClientHello was parsed.</summary>
    public static string KeyTypeLabel(Gatehouse.Proxy.Tls.TlsConnectionState? state)
        => state?.Certificate.KeyType switch
        {
            Gatehouse.Proxy.Tls.CertificateKeyType.Ecdsa => "ecdsa",
            Gatehouse.Proxy.Tls.CertificateKeyType.Rsa => "rsa",
            { } => "other",
            null => "unknown", // no parsed ClientHello: the fallback selection by SNI name
        };

    /// <summary>
    /// Hook for TLS termination: the certificates currently served, read at every scrape (so a
    /// replaced certificate's expiry follows without re-registering). Replaces an earlier source.
    /// </summary>
    public void ObserveCertificates(Func<IEnumerable<(string Host, DateTimeOffset NotAfter)>> certificates)
        => _certificates = certificates;

    /// <summary>The HTTP/2 server ended a connection or a stream because of what the client sent.</summary>
    public void Http2Error(string scope, Http2.Http2ErrorCode code)
        => _http2Errors.Add(1, new KeyValuePair<string, object?>("scope", scope), new KeyValuePair<string, object?>("code", Http2.Http2ErrorNames.Of(code)));

    public void Http1Rejected(int status)
        => _http1Rejections.Add(1, new KeyValuePair<string, object?>("code", StatusLabel(status)));

    private static string StatusLabel(int status) => status switch
    {
        400 => "400",
        408 => "408",
        413 => "413",
        414 => "414",
        431 => "431",
        501 => "501",
        505 => "505",
        _ => status.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    public void Dispose() => _meter.Dispose();

    private IEnumerable<Measurement<double>> ObserveCertificates()
    {
        if (_certificates is not { } source)
        {
            return [];
        }

        return source().Select(static c => new Measurement<double>(
            c.NotAfter.ToUnixTimeSeconds(),
            new KeyValuePair<string, object?>("host", c.Host)));
    }

    /// <summary>nginx's spelling ($ssl_protocol), which dashboards built for ingress-nginx expect.</summary>
    private static string ProtocolLabel(System.Security.Authentication.SslProtocols protocol) => protocol switch
    {
#pragma warning disable SYSLIB0039 // old protocols are named, not used
        System.Security.Authentication.SslProtocols.Tls => "TLSv1",
        System.Security.Authentication.SslProtocols.Tls11 => "TLSv1.1",
#pragma warning restore SYSLIB0039
        System.Security.Authentication.SslProtocols.Tls12 => "TLSv1.2",
        System.Security.Authentication.SslProtocols.Tls13 => "TLSv1.3",
        _ => "unknown",
    };
}
