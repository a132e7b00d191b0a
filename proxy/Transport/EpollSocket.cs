using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Threading.Tasks.Sources;
using Microsoft.AspNetCore.Connections;
using static Gatehouse.Proxy.Transport.Native;

namespace Gatehouse.Proxy.Transport;

/// <summary>
/// A non-blocking TCP socket on an <see cref="EpollLoop"/>, seen as a pair of pipes. The loop reads
/// into <see cref="Input"/> only when the kernel reports data and resumes the reader in place; writes
/// to <see cref="Output"/> are sent on the flushing thread and wait for the loop only when the kernel's
/// send buffer is full. Used for both legs: Kestrel's client connections and backend connections.
/// </summary>
internal sealed class EpollSocket : EpollHandler, IDuplexPipe, ITransportByteCounts, IValueTaskSource<bool>
{
    private const uint Interest = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
    private const uint PeerGone = EPOLLRDHUP | EPOLLHUP | EPOLLERR;

    // Read this much at most before the reader gets it, so one busy socket cannot starve the loop.
    private const int MaxUnflushedRead = 64 * 1024;

    private readonly EpollLoop _loop;
    private readonly int _fd;
    private readonly EpollSocketInput _input;
    private readonly EpollSocketOutput _output;
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ManualResetValueTaskSourceCore<bool> _writable;
    private int _writeArmed;
    private Exception? _abortReason;
    private volatile bool _connecting;
    private bool _peerClosing;
    private bool _receivePaused;
    private bool _receiveDone;
    private volatile bool _inputReaderDone;
    private int _closeRequested;
    private bool _isClosed;

    private EpollSocket(EpollLoop loop, int fd)
    {
        _loop = loop;
        _fd = fd;
        _output = new EpollSocketOutput(this, fd);
        _input = new EpollSocketInput(() => _loop.Post(new ResumeReceive(this)));
    }

    public PipeReader Input => _input;

    public long BytesRead => _input.BytesConsumed;

    public long BytesWritten => _output.BytesWritten;

    public PipeWriter Output => _output;

    public EpollLoop Loop => _loop;

    /// <summary>The descriptor, for socket options in tests and diagnostics.</summary>
    internal int Descriptor => _fd;

    /// <summary>Completes once the descriptor is closed.</summary>
    public Task Closed => _closed.Task;

    /// <summary>Runs on the loop thread once, when the read side ends: end of stream, an error or an abort.</summary>
    public Action? ReceiveEnded { get; set; }

    /// <summary>Wraps an accepted descriptor and starts reading and sending.</summary>
    public static EpollSocket Accepted(EpollLoop loop, int fd)
    {
        var socket = new EpollSocket(loop, fd);
        loop.Register(socket, fd, Interest);
        return socket;
    }

    /// <summary>Opens a connection; the caller owns the socket once it is returned.</summary>
    public static async ValueTask<EpollSocket> ConnectAsync(EpollLoop loop, IPEndPoint endPoint, CancellationToken cancellationToken)
    {
        var socket = Open(loop, endPoint, out var pending);
        if (pending)
        {
            bool connected;
            using (cancellationToken.UnsafeRegister(static s => ((EpollSocket)s!).CancelWriteWait(), socket))
            {
                connected = await new ValueTask<bool>(socket, socket._writable.Version).ConfigureAwait(false);
            }

            var error = connected ? socket.PendingError() : 0;
            if (!connected || error != 0)
            {
                socket.Close();
                cancellationToken.ThrowIfCancellationRequested();
                throw new SocketException(connected ? ErrnoToSocketError(error) : (int)SocketError.OperationAborted);
            }

            // Reading was held back while connecting (a read would consume the connect's error);
            // whatever arrived since has had its event already.
            socket._connecting = false;
            loop.Post(new StartReceive(socket));
        }

        return socket;
    }

    private static unsafe EpollSocket Open(EpollLoop loop, IPEndPoint endPoint, out bool pending)
    {
        var family = endPoint.AddressFamily == AddressFamily.InterNetwork ? AF_INET : AF_INET6;
        var fd = Check(Native.socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), "socket");
        var one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(int));
        var address = stackalloc byte[NativeSocketAddress.MaxLength];
        var length = NativeSocketAddress.Write(endPoint, address);
        if (connect(fd, address, length) == 0)
        {
            pending = false;
        }
        else if (LastError == EINPROGRESS)
        {
            pending = true;
        }
        else
        {
            var error = LastError;
            close(fd);
            throw new SocketException(ErrnoToSocketError(error));
        }

        var opened = new EpollSocket(loop, fd);
        if (pending)
        {
            // Armed before registering: the kernel reports a connect that already finished as the
            // registration's first event, so the completion cannot slip between the two.
            opened._connecting = true;
            opened.ArmWritable();
        }

        try
        {
            loop.Register(opened, fd, Interest);
        }
        catch
        {
            close(fd);
            throw;
        }

        return opened;
    }

    private unsafe int PendingError()
    {
        int error = 0;
        uint length = sizeof(int);
        return getsockopt(_fd, SOL_SOCKET, SO_ERROR, &error, &length) < 0 ? LastError : error;
    }

    public override void OnEvents(uint events)
    {
        if (_isClosed)
        {
            return;
        }

        if ((events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) != 0)
        {
            SignalWritable(true);
            _output.OnWritable();
        }

        if ((events & PeerGone) != 0)
        {
            _peerClosing = true;
        }

        if ((events & (EPOLLIN | PeerGone)) != 0 && !_connecting)
        {
            Receive();
        }
    }

    /// <summary>Reads what the kernel has into the input pipe; loop thread only.</summary>
    private unsafe void Receive()
    {
        if (_receivePaused || _receiveDone || _isClosed)
        {
            return;
        }

        var input = _input;
        var unflushed = 0;
        var staged = false;
        while (true)
        {
            nint received;
            int asked;
            if (!staged)
            {
                // Straight into the block: a request or a small response fits one and is read once.
                var span = input.GetReceiveSpan(PinnedBlockPool.BlockSize / 2);
                asked = span.Length;
                fixed (byte* buffer = span)
                {
                    received = recv(_fd, buffer, (nuint)asked, 0);
                }

                if (received > 0)
                {
                    input.Advance((int)received);
                }
            }
            else
            {
                // The block filled up, so more is waiting (a large body): one receive of up to the
                // rest of the batch into the loop's scratch buffer, copied into the pipe, costs less
                // than a receive per 4 KiB block.
                var scratch = _loop.ReceiveBuffer;
                asked = Math.Min(scratch.Length, MaxUnflushedRead - unflushed);
                fixed (byte* buffer = scratch)
                {
                    received = recv(_fd, buffer, (nuint)asked, 0);
                }

                if (received > 0)
                {
                    input.Write(scratch.AsSpan(0, (int)received));
                }
            }

            if (received > 0)
            {
                unflushed += (int)received;

                // A full read means more may be waiting: read it too and hand the reader one larger
                // buffer (one response copy, one send) instead of a flush per read.
                if (received == asked && unflushed < MaxUnflushedRead)
                {
                    staged = true;
                    continue;
                }

                if (!Publish() || _isClosed)
                {
                    return;
                }

                unflushed = 0;
                staged = false;

                // Edge-triggered: a short read emptied the socket, and new data brings a new event.
                // Unless the peer is closing: its end of stream comes with no further event.
                if (received < asked && !_peerClosing)
                {
                    return;
                }

                continue;
            }

            // Read before flushing: the reader's own system calls overwrite the last error.
            var errno = received < 0 ? LastError : 0;
            if (unflushed > 0 && (!Publish() || _isClosed))
            {
                return;
            }

            unflushed = 0;
            staged = false;
            if (received == 0)
            {
                EndReceive(null);
                return;
            }

            if (errno == EAGAIN)
            {
                return;
            }

            if (errno != EINTR)
            {
                EndReceive(new ConnectionResetException($"recv failed: errno {errno}", new SocketException(ErrnoToSocketError(errno))));
                return;
            }
        }
    }

    /// <summary>Hands what was read to the reader; false when reading must stop (paused or the reader is gone).</summary>
    private bool Publish()
    {
        // This runs the reader (Kestrel's request processing or the lean client's response copy)
        // here, before it returns.
        if (_input.Publish())
        {
            return true;
        }

        if (_input.ReaderCompleted)
        {
            EndReceive(null);
            return false;
        }

        // The reader is 1 MiB behind: it resumes receiving once it has caught up.
        _receivePaused = true;
        return false;
    }

    private void ResumeReceiveOnLoop()
    {
        if (!_receivePaused || _isClosed)
        {
            return;
        }

        _receivePaused = false;
        if (_input.ReaderCompleted)
        {
            EndReceive(null);
            return;
        }

        Receive();
    }

    private void EndReceive(Exception? error)
    {
        if (_receiveDone)
        {
            return;
        }

        _receiveDone = true;
        _input.CompleteWriter(Volatile.Read(ref _abortReason) ?? error);
        ReceiveEnded?.Invoke();
    }

    /// <summary>
    /// The output is over: the writer completed and everything went out, or sending failed, or the
    /// connection was aborted. As Kestrel's socket transport does, the connection ends with it. Any thread, once.
    /// </summary>
    internal void OutputEnded(Exception? error)
    {
        if (error is not null)
        {
            Interlocked.CompareExchange(ref _abortReason, error, null);
        }

        if (_loop.IsCurrent)
        {
            // Usually so: the flush or the writable event ran here. Closing now sends the FIN at once
            // and saves a shutdown; later events of this batch find the socket closed.
            CloseOnLoopNow();
        }
        else
        {
            // Shutting down both directions ends the read side and sends the FIN now; the
            // descriptor is closed on the loop.
            shutdown(_fd, SHUT_RDWR);
            Close();
        }
    }

    private ValueTask<bool> ArmWritable()
    {
        _writable.Reset();
        Interlocked.Exchange(ref _writeArmed, 1);
        return new ValueTask<bool>(this, _writable.Version);
    }

    private void SignalWritable(bool writable)
    {
        if (Volatile.Read(ref _writeArmed) == 1 && Interlocked.Exchange(ref _writeArmed, 0) == 1)
        {
            _writable.SetResult(writable);
        }
    }

    private void CancelWriteWait() => SignalWritable(false);

    /// <summary>
    /// Ends the connection now, as Kestrel's Abort does: pending output is dropped and the reader sees
    /// <paramref name="reason"/>. Any thread.
    /// </summary>
    public void Abort(Exception reason)
    {
        Interlocked.CompareExchange(ref _abortReason, reason, null);
        CancelWriteWait();
        _output.Abort();
    }

    /// <summary>Completes the caller's ends of both pipes and waits until the descriptor is closed.</summary>
    public async ValueTask DisposeAsync()
    {
        _input.Complete();
        _inputReaderDone = true;
        _output.Complete();
        await _closed.Task.ConfigureAwait(false);
    }

    /// <summary>Closes the descriptor on the loop, after the current batch of events. Any thread, idempotent.</summary>
    private void Close()
    {
        if (Interlocked.Exchange(ref _closeRequested, 1) == 0)
        {
            _loop.Post(new CloseOnLoop(this));
        }
    }

    private void CloseOnLoopNow()
    {
        if (Interlocked.Exchange(ref _closeRequested, 1) == 0)
        {
            CloseNow();
        }
    }

    private void CloseNow()
    {
        // close() takes the descriptor out of the epoll set itself (nothing else holds it), so no
        // EPOLL_CTL_DEL: one system call less per connection.
        _loop.Forget(this);
        _isClosed = true;
        close(_fd);
        if (!_receiveDone)
        {
            // Nobody reads the reason once the reader is complete (the usual end: Kestrel disposed the
            // connection), so no exception is made for it.
            EndReceive(_inputReaderDone ? null : new ConnectionAbortedException("The connection was closed."));
        }

        _receivePaused = false;

        _closed.TrySetResult();
    }

    bool IValueTaskSource<bool>.GetResult(short token) => _writable.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<bool>.GetStatus(short token) => _writable.GetStatus(token);

    void IValueTaskSource<bool>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _writable.OnCompleted(continuation, state, token, flags);

    private sealed class ResumeReceive(EpollSocket socket) : IEpollWork
    {
        public void Execute() => socket.ResumeReceiveOnLoop();
    }

    private sealed class StartReceive(EpollSocket socket) : IEpollWork
    {
        public void Execute() => socket.Receive();
    }

    private sealed class CloseOnLoop(EpollSocket socket) : IEpollWork
    {
        public void Execute() => socket.CloseNow();
    }
}
