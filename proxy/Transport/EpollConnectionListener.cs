using System.Net;
using System.Threading.Channels;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;
using static Gatehouse.Proxy.Transport.Native;

namespace Gatehouse.Proxy.Transport;

/// <summary>
/// A listening socket on one loop. Connections are accepted on that loop's thread, handed to the
/// loops in turn, and start reading at once; Kestrel takes them from <see cref="AcceptAsync"/>, or, for
/// a listener bound with a direct handler, the handler gets each one on the accepting thread (no
/// hand-off to the thread pool, which is what Kestrel's dispatcher does with every connection).
/// </summary>
internal sealed class EpollConnectionListener : EpollHandler, IConnectionListener
{
    // Accepted per event, so a flood of connections cannot keep the loop from its other sockets.
    private const int AcceptBatch = 64;

    private readonly EpollLoopGroup _loops;
    private readonly EpollLoop _acceptLoop;
    private readonly int _fd;
    private readonly ILogger _logger;
    private readonly Action<EpollConnection>? _direct;
    private readonly Channel<ConnectionContext?> _accepted = System.Threading.Channels.Channel.CreateUnbounded<ConnectionContext?>(
        new UnboundedChannelOptions { SingleReader = true, SingleWriter = true, AllowSynchronousContinuations = true });
    private readonly Timer _retry;
    private long _lastResourceWarning;
    private int _unbound;
    private volatile bool _stopped;

    public EpollConnectionListener(EpollLoopGroup loops, int fd, EndPoint endPoint, ILogger logger, Action<EpollConnection>? direct = null)
    {
        _direct = direct;
        _loops = loops;
        _fd = fd;
        _logger = logger;
        EndPoint = endPoint;
        _acceptLoop = loops.Next();
        _retry = new Timer(static s => ((EpollConnectionListener)s!).Resume(), this, Timeout.Infinite, Timeout.Infinite);
        _acceptLoop.Register(this, fd, EPOLLIN);
    }

    public EndPoint EndPoint { get; }

    public override unsafe void OnEvents(uint events)
    {
        var address = stackalloc byte[NativeSocketAddress.MaxLength];
        for (var i = 0; i < AcceptBatch; i++)
        {
            uint length = NativeSocketAddress.MaxLength;
            var fd = accept4(_fd, address, &length, SOCK_NONBLOCK | SOCK_CLOEXEC);
            if (fd < 0)
            {
                var errno = LastError;
                if (errno is EMFILE or ENFILE)
                {
                    // Out of descriptors: level-triggered, the listener would fire again at once.
                    // Step back for a moment and let connections close.
                    Pause(errno);
                }

                return;
            }

            var remote = NativeSocketAddress.Read(address, length);
            try
            {
                var socket = EpollSocket.Accepted(_loops.Next(), fd);
                var connection = new EpollConnection(socket, EndPoint, remote);
                _loops.CountAccepted();
                if (_direct is not null)
                {
                    _direct(connection);
                }
                else
                {
                    _accepted.Writer.TryWrite(connection);
                }
            }
            catch (Exception ex)
            {
                close(fd);
                _logger.LogWarning(ex, "Could not start an accepted connection");
            }
        }
    }

    private void Pause(int errno)
    {
        var now = Environment.TickCount64;
        if (now - _lastResourceWarning > 1000)
        {
            _lastResourceWarning = now;
            _logger.LogWarning("accept failed with errno {Errno} (out of file descriptors); accepting again in 100 ms", errno);
        }

        _acceptLoop.Unregister(this, _fd);
        _retry.Change(100, Timeout.Infinite);
    }

    private void Resume()
    {
        if (Volatile.Read(ref _unbound) != 0)
        {
            return;
        }

        try
        {
            _acceptLoop.Register(this, _fd, EPOLLIN);
        }
        catch (System.Net.Sockets.SocketException ex)
        {
            // Unbound in between: the descriptor is gone and there is nothing to resume.
            _logger.LogDebug(ex, "The listener was not resumed");
        }
    }

    /// <remarks>
    /// The channel's own reusable wait, not an async method: no state machine per accepted
    /// connection. The end of listening arrives as a null in the channel, not as an exception.
    /// </remarks>
    public ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
        => _stopped ? default : _accepted.Reader.ReadAsync(cancellationToken);

    public ValueTask UnbindAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _unbound, 1) != 0)
        {
            return ValueTask.CompletedTask;
        }

        _retry.Dispose();
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _acceptLoop.Post(new StopListening(this, done));
        return new ValueTask(done.Task);
    }

    public async ValueTask DisposeAsync()
    {
        await UnbindAsync().ConfigureAwait(false);
        while (_accepted.Reader.TryRead(out var connection))
        {
            if (connection is not null)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private sealed class StopListening(EpollConnectionListener listener, TaskCompletionSource done) : IEpollWork
    {
        public void Execute()
        {
            listener._acceptLoop.Unregister(listener, listener._fd);
            close(listener._fd);
            listener._stopped = true;
            listener._accepted.Writer.TryWrite(null);
            done.TrySetResult();
        }
    }
}
