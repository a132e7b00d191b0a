using System.IO.Pipelines;
using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;

namespace Gatehouse.Proxy.Transport;

/// <summary>A client connection accepted by <see cref="EpollConnectionListener"/>, as Kestrel sees it.</summary>
internal sealed partial class EpollConnection : ConnectionContext,
    IConnectionIdFeature, IConnectionTransportFeature, IConnectionItemsFeature, IConnectionLifetimeFeature, IConnectionEndPointFeature, IMemoryPoolFeature
{
    private static long s_lastId;

    private readonly EpollSocket _socket;
    private readonly CancellationTokenSource _closedSource = new();
    private IDictionary<object, object?>? _items;
    private int _closedFired;
    private volatile bool _disposing;

    public EpollConnection(EpollSocket socket, EndPoint? localEndPoint, EndPoint? remoteEndPoint)
    {
        _socket = socket;
        Transport = socket;
        LocalEndPoint = localEndPoint;
        RemoteEndPoint = remoteEndPoint;
        ConnectionId = FormatId(Interlocked.Increment(ref s_lastId));
        ConnectionClosed = _closedSource.Token;

        // The read side ending (FIN, reset, abort) is how Kestrel learns the client left mid-request;
        // the token's callbacks go to the pool, never onto the loop thread.
        socket.ReceiveEnded = FireConnectionClosed;
    }

    public override string ConnectionId { get; set; }

    internal EpollSocket Socket => _socket;

    public System.Buffers.MemoryPool<byte> MemoryPool => PinnedBlockPool.Instance;

    public override IDictionary<object, object?> Items
    {
        get => _items ??= new ConnectionItems();
        set => _items = value;
    }

    public override IDuplexPipe Transport { get; set; }

    public override CancellationToken ConnectionClosed { get; set; }

    public override EndPoint? LocalEndPoint { get; set; }

    public override EndPoint? RemoteEndPoint { get; set; }

    public override void Abort(ConnectionAbortedException abortReason) => _socket.Abort(abortReason);

    public override async ValueTask DisposeAsync()
    {
        // Kestrel calls this once it is done with the connection, so the requests that registered
        // on ConnectionClosed are over: from here on the token is cancelled in place.
        _disposing = true;
        await _socket.DisposeAsync().ConfigureAwait(false);
        FireConnectionClosed();
        _closedSource.Dispose();
    }

    /// <summary>"E" and the number in hex: one string per connection, not a number string and a concatenation.</summary>
    private static string FormatId(long id)
        => string.Create(System.Globalization.CultureInfo.InvariantCulture, stackalloc char[24], $"E{id:X}");

    private void FireConnectionClosed()
    {
        if (Interlocked.Exchange(ref _closedFired, 1) != 0)
        {
            return;
        }

        if (_disposing)
        {
            // No thread-pool hop for the common end of a connection (one hop less per connection).
            _closedSource.Cancel();
            return;
        }

        // The client left while Kestrel still serves the connection: the callbacks (request aborts)
        // run on the pool, never on the loop thread.
        ThreadPool.UnsafeQueueUserWorkItem(static source =>
        {
            try
            {
                source.Cancel();
            }
            catch (ObjectDisposedException)
            {
            }
        }, _closedSource, preferLocal: false);
    }
}
