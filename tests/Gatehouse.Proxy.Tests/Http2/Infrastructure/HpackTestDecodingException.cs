namespace Gatehouse.Tests.Http2.Infrastructure;

/// <summary>The server sent a header block the test decoder does not accept (Huffman, dynamic indexes, truncation).</summary>
internal sealed class HpackTestDecodingException(string message) : Exception(message);
