namespace Gatehouse.Proxy.Http1;

/// <summary>What <see cref="Http1ChunkedDecoder.Decode"/> found at the start of the bytes it was given.</summary>
internal enum Http1ChunkedStatus
{
    /// <summary>Every byte offered was framing and was taken; the body goes on in bytes not yet received.</summary>
    NeedMore,

    /// <summary>Body bytes of the current chunk follow the framing; the caller reports what it used with <see cref="Http1ChunkedDecoder.ConsumeData"/>.</summary>
    Data,

    /// <summary>The last chunk and the trailer section ended; what follows belongs to the next request.</summary>
    Done,

    /// <summary>The body is malformed or over a limit; the connection cannot be read further.</summary>
    Rejected,
}
