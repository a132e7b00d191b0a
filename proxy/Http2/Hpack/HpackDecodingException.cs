namespace Gatehouse.Proxy.Http2.Hpack;

/// <summary>
/// A header block broke RFC 7541. The decoder's dynamic table can no longer be trusted to match the
/// client's, so the connection answers with COMPRESSION_ERROR and closes.
/// </summary>
internal sealed class HpackDecodingException(string message) : Exception(message);
