namespace Gatehouse.Proxy.Transport;

/// <summary>
/// A transport that counts what its reader consumed and its writer committed, so the per-request
/// byte counts can read the totals instead of wrapping the transport's pipes.
/// </summary>
internal interface ITransportByteCounts
{
    long BytesRead { get; }

    long BytesWritten { get; }
}
