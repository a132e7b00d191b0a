namespace Gatehouse.Proxy.Http2;

/// <summary>A stream error (RFC 9113 5.4.2): that stream is reset with <see cref="Code"/>; the connection goes on.</summary>
internal sealed class Http2StreamException : Exception
{
    public Http2StreamException(int streamId, Http2ErrorCode code, string message)
        : base(message)
    {
        StreamId = streamId;
        Code = code;
    }

    public int StreamId { get; }

    public Http2ErrorCode Code { get; }
}
