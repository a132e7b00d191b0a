namespace Gatehouse.Proxy.Http1;

/// <summary>What <see cref="Http1HeadParser.FindHeadEnd"/> found in the bytes received so far.</summary>
internal enum Http1HeadScan
{
    /// <summary>No end of head yet and no limit passed: read more.</summary>
    Incomplete,

    /// <summary>The head ends within the buffer; its length is known.</summary>
    Complete,

    /// <summary>The bytes can never become an acceptable head: answer the rejection and close.</summary>
    Rejected,
}
