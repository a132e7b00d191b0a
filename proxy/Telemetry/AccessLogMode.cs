namespace Gatehouse.Proxy.Telemetry;

/// <summary>Where the access log goes (<c>--access-log</c>).</summary>
public enum AccessLogMode
{
    /// <summary>One JSON line per request on stdout (the default).</summary>
    Stdout,

    /// <summary>No access log at all, whatever the Ingress annotations say.</summary>
    Off,
}
