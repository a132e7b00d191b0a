namespace Gatehouse.Proxy.Forwarding.Http1;

/// <summary>The backend's response broke HTTP/1.1 framing rules; the connection is closed, never reused.</summary>
internal sealed class InvalidResponseException(string message) : Exception(message);
