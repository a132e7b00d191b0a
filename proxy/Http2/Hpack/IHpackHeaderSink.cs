namespace Gatehouse.Proxy.Http2.Hpack;

/// <summary>Receives the fields of a header block as <see cref="HpackDecoder"/> decodes them.</summary>
internal interface IHpackHeaderSink
{
    /// <summary>One field. The spans point into the decoder's buffers and are valid only during the call.</summary>
    void OnHeader(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value);
}
