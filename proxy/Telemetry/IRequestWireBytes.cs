namespace Gatehouse.Proxy.Telemetry;

/// <summary>
/// A request's own bytes on the wire, where the connection's bytes are shared by several requests
/// (an HTTP/2 stream: its frames, headers compressed as sent). Read when the request completes.
/// </summary>
internal interface IRequestWireBytes
{
    long RequestBytes { get; }

    long ResponseBytes { get; }
}
