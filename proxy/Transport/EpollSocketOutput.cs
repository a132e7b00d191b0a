using System.Buffers;
using System.IO.Pipelines;
using System.Threading.Tasks.Sources;
using Microsoft.AspNetCore.Connections;
using static Gatehouse.Proxy.Transport.Native;

namespace Gatehouse.Proxy.Transport;

/// <summary>
/// The write side of an <see cref="EpollSocket"/>: a <see cref="PipeWriter"/> whose flush is the
/// system call. What a flush commits is sent there and then, on the flushing thread; only when the
/// kernel's send buffer is full does the rest wait for the loop's writable event, and the flush waits
/// with it once 64 KiB are unsent (Kestrel's socket transport's limit).
/// </summary>
/// <remarks>
/// A pipe between writer and socket cost three lock round trips and a resumed state machine per
/// flush: one per response on the client leg and one per request on the backend leg. Here the common
/// flush is one uncontended lock and one <c>send</c>.
/// <para>
/// Threads: one writer at a time (the pipe contract), from any thread; the loop thread drains what the
/// kernel refused and ends the connection. Both take <see cref="_lock"/>. Only the writer touches the
/// tail segment's free space and only the writer (or whoever finds the writer completed) returns the
/// tail block, so a block is never returned to the pool while the writer may still fill it.
/// </para>
/// </remarks>
internal sealed unsafe class EpollSocketOutput : PipeWriter, IValueTaskSource<FlushResult>
{
    private const int PauseThreshold = 64 * 1024;
    private const int ResumeThreshold = 32 * 1024;
    private const int MaxVectors = 16;
    private const int MaxSpareSegments = 16;

    private readonly EpollSocket _socket;
    private readonly int _fd;
    private readonly Lock _lock = new();

    // Segments from _head (first unsent byte at _head.Start) to _tail (the writer's). Sending stops at
    // _flushedEnd, the last flush's end: bytes after it are committed but not flushed.
    private Segment? _head;
    private Segment? _tail;
    private Segment? _flushedSegment;
    private int _flushedEnd;
    private Segment? _spare;
    private int _spareCount;

    private long _unsent;
    private int _unflushed;
    private long _bytesWritten;

    // 1 while the kernel refused data and the loop's next writable event should drain.
    private int _armed;
    private bool _awaitingWritable;
    private bool _failed;
    private bool _ended;
    private bool _writerCompleted;
    private bool _cancelNextFlush;
    private Exception? _sendError;

    private bool _flushWaiting;
    private ManualResetValueTaskSourceCore<FlushResult> _flushWait;
    private CancellationTokenRegistration _flushCancellation;

    public EpollSocketOutput(EpollSocket socket, int fd)
    {
        _socket = socket;
        _fd = fd;
    }

    public override bool CanGetUnflushedBytes => true;

    public override long UnflushedBytes => _unflushed;

    /// <summary>Bytes the writer has committed since the connection opened.</summary>
    public long BytesWritten => Volatile.Read(ref _bytesWritten);

    public override Memory<byte> GetMemory(int sizeHint = 0)
    {
        ObjectDisposedException.ThrowIf(_writerCompleted, this);
        ArgumentOutOfRangeException.ThrowIfNegative(sizeHint);
        var tail = _tail;
        var needed = Math.Max(sizeHint, 1);
        if (tail is not null && tail.Memory.Length - tail.End >= needed)
        {
            return tail.Memory[tail.End..];
        }

        return AddSegment(needed);
    }

    public override Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;

    public override void Advance(int bytes)
    {
        var tail = _tail;
        if (tail is null || (uint)bytes > (uint)(tail.Memory.Length - tail.End))
        {
            throw new ArgumentOutOfRangeException(nameof(bytes), "Advanced past the memory returned by GetMemory.");
        }

        tail.End += bytes;
        _unflushed += bytes;
        Volatile.Write(ref _bytesWritten, _bytesWritten + bytes);
    }

    public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
    {
        ValueTask<FlushResult> result;
        var end = false;
        lock (_lock)
        {
            CommitLocked();
            if (_cancelNextFlush)
            {
                _cancelNextFlush = false;
                return new ValueTask<FlushResult>(new FlushResult(isCanceled: true, isCompleted: _failed));
            }

            if (!_failed && !_awaitingWritable)
            {
                SendLocked();
                if (_failed)
                {
                    end = !_ended;
                    _ended = true;
                }
            }

            if (_failed)
            {
                ReleaseAllLocked();
                result = new ValueTask<FlushResult>(new FlushResult(isCanceled: false, isCompleted: true));
            }
            else if (_unsent == 0)
            {
                // Everything is out: the block goes back to the pool, as a pipe returns its consumed
                // segments, so an idle keep-alive connection holds no buffer.
                ReleaseAllLocked();
                result = default;
            }
            else
            {
                result = _unsent < PauseThreshold ? default : WaitLocked(cancellationToken);
            }
        }

        if (end)
        {
            _socket.OutputEnded(_sendError);
        }

        return result;
    }

    private ValueTask<FlushResult> WaitLocked(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        _flushWait.Reset();
        _flushWaiting = true;
        var version = _flushWait.Version;
        if (cancellationToken.CanBeCanceled)
        {
            _flushCancellation = cancellationToken.UnsafeRegister(
                static (state, token) => ((EpollSocketOutput)state!).CancelFlushWait(token), this);
        }

        return new ValueTask<FlushResult>(this, version);
    }

    public override void CancelPendingFlush()
    {
        lock (_lock)
        {
            if (!_flushWaiting)
            {
                _cancelNextFlush = true;
                return;
            }

            _flushWaiting = false;
        }

        FinishFlushWait(new FlushResult(isCanceled: true, isCompleted: false), null);
    }

    public override void Complete(Exception? exception = null)
    {
        var end = false;
        lock (_lock)
        {
            if (_writerCompleted)
            {
                return;
            }

            _writerCompleted = true;
            CommitLocked();
            if (exception is not null)
            {
                // As with a pipe whose writer failed: what is unsent is dropped and the connection ends.
                _failed = true;
            }
            else if (!_failed && !_awaitingWritable)
            {
                SendLocked();
            }

            if (_failed || _unsent == 0)
            {
                ReleaseAllLocked();
                end = !_ended;
                _ended = true;
            }
        }

        if (end)
        {
            _socket.OutputEnded(exception is null ? _sendError : new ConnectionAbortedException("The output failed.", exception));
        }
    }

    /// <summary>Drops what is unsent and ends the connection; a waiting flush completes as the end of the connection. Any thread.</summary>
    public void Abort()
    {
        bool end;
        bool wake;
        lock (_lock)
        {
            _failed = true;
            end = !_ended;
            _ended = true;
            wake = _flushWaiting;
            _flushWaiting = false;
            if (_writerCompleted)
            {
                ReleaseAllLocked();
            }
        }

        if (wake)
        {
            FinishFlushWait(new FlushResult(isCanceled: false, isCompleted: true), null);
        }

        if (end)
        {
            _socket.OutputEnded(null);
        }
    }

    /// <summary>The loop saw the socket writable (or failed); drains if the kernel had refused data. Loop thread.</summary>
    public void OnWritable()
    {
        if (Volatile.Read(ref _armed) == 0 || Interlocked.Exchange(ref _armed, 0) == 0)
        {
            return;
        }

        var wake = false;
        var end = false;
        Exception? error = null;
        lock (_lock)
        {
            _awaitingWritable = false;
            if (!_failed)
            {
                SendLocked();
                if (_failed)
                {
                    error = _sendError;
                    end = !_ended;
                    _ended = true;
                }
            }

            if (_flushWaiting && (_failed || _unsent <= ResumeThreshold))
            {
                _flushWaiting = false;
                wake = true;
            }

            if (_writerCompleted && !_awaitingWritable)
            {
                ReleaseAllLocked();
                end |= !_ended;
                _ended = true;
            }
        }

        if (wake)
        {
            FinishFlushWait(new FlushResult(isCanceled: false, isCompleted: _failed), null);
        }

        if (end)
        {
            _socket.OutputEnded(error);
        }
    }

    private void CommitLocked()
    {
        if (_tail is not null)
        {
            _flushedSegment = _tail;
            _flushedEnd = _tail.End;
        }

        _unsent += _unflushed;
        _unflushed = 0;
    }

    /// <summary>Sends from the head up to the flushed end until done, refused or failed. Under the lock.</summary>
    private void SendLocked()
    {
        var vectors = stackalloc IoVector[MaxVectors];
        while (_unsent > 0)
        {
            var count = 0;
            for (var segment = _head; segment is not null && count < MaxVectors; segment = segment.Next)
            {
                var end = segment == _flushedSegment ? _flushedEnd : segment.End;
                if (end > segment.Start)
                {
                    vectors[count++] = new IoVector { Base = segment.Pointer + segment.Start, Length = (nuint)(end - segment.Start) };
                }

                if (segment == _flushedSegment)
                {
                    break;
                }
            }

            if (count == 0)
            {
                throw new InvalidOperationException("Unsent bytes counted but none found in the segments.");
            }

            nint sent;
            if (count == 1)
            {
                sent = send(_fd, vectors[0].Base, vectors[0].Length, MSG_NOSIGNAL);
            }
            else
            {
                var message = new MessageHeader { Vectors = vectors, VectorCount = (nuint)count };
                sent = sendmsg(_fd, &message, MSG_NOSIGNAL);
            }

            if (sent > 0)
            {
                Consume(sent);
                continue;
            }

            var errno = LastError;
            if (errno == EINTR)
            {
                continue;
            }

            if (errno == EAGAIN)
            {
                if (Interlocked.Exchange(ref _armed, 1) == 0)
                {
                    // Retried once after arming: space freed before the flag was set raised its
                    // edge-triggered event too early to count.
                    continue;
                }

                _awaitingWritable = true;
                return;
            }

            _failed = true;
            _sendError = new ConnectionResetException($"send failed: errno {errno}", new System.Net.Sockets.SocketException(ErrnoToSocketError(errno)));
            return;
        }
    }

    private void Consume(nint sent)
    {
        _unsent -= sent;
        while (true)
        {
            var segment = _head!;
            var end = segment == _flushedSegment ? _flushedEnd : segment.End;
            var available = end - segment.Start;
            if (sent < available)
            {
                segment.Start += (int)sent;
                return;
            }

            segment.Start = end;
            sent -= available;
            if (segment == _flushedSegment)
            {
                return;
            }

            // Wholly sent and not the writer's: back to the pool.
            _head = segment.Next;
            ReturnSegment(segment);
            if (sent == 0)
            {
                return;
            }
        }
    }

    private Memory<byte> AddSegment(int size)
    {
        lock (_lock)
        {
            var tail = _tail;
            if (tail is not null && tail.Start == tail.End && tail == _flushedSegment && _flushedEnd == tail.End && tail.Memory.Length >= size)
            {
                // Everything in the tail went out: start it over.
                tail.Start = tail.End = 0;
                _flushedEnd = 0;
                return tail.Memory;
            }

            var segment = _spare ?? new Segment();
            if (segment == _spare)
            {
                _spare = segment.Next;
                _spareCount--;
                segment.Next = null;
            }

            segment.Rent(size);
            if (tail is null)
            {
                _head = segment;
                _flushedSegment = segment;
                _flushedEnd = 0;
            }
            else
            {
                tail.Next = segment;
            }

            _tail = segment;
            return segment.Memory;
        }
    }

    private void ReleaseAllLocked()
    {
        var segment = _head;
        while (segment is not null)
        {
            var next = segment.Next;
            ReturnSegment(segment);
            segment = next;
        }

        _head = _tail = _flushedSegment = null;
        _flushedEnd = 0;
        _unsent = 0;
        _unflushed = 0;
    }

    private void ReturnSegment(Segment segment)
    {
        segment.Return();
        if (_spareCount < MaxSpareSegments)
        {
            segment.Next = _spare;
            _spare = segment;
            _spareCount++;
        }
    }

    private void CancelFlushWait(CancellationToken token)
    {
        lock (_lock)
        {
            if (!_flushWaiting)
            {
                return;
            }

            _flushWaiting = false;
        }

        FinishFlushWait(default, new OperationCanceledException(token));
    }

    private void FinishFlushWait(FlushResult result, Exception? error)
    {
        // Not from the cancellation callback itself (Dispose would wait for it): that one has fired.
        var registration = _flushCancellation;
        _flushCancellation = default;
        if (error is null)
        {
            registration.Dispose();
            _flushWait.SetResult(result);
        }
        else
        {
            _flushWait.SetException(error);
        }
    }

    FlushResult IValueTaskSource<FlushResult>.GetResult(short token) => _flushWait.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<FlushResult>.GetStatus(short token) => _flushWait.GetStatus(token);

    void IValueTaskSource<FlushResult>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
        => _flushWait.OnCompleted(continuation, state, token, flags);

    /// <summary>A block and how much of it is written and sent.</summary>
    private sealed class Segment
    {
        private IMemoryOwner<byte>? _block;
        private MemoryHandle _pin;

        public Memory<byte> Memory;
        public byte* Pointer;

        /// <summary>First byte not yet sent.</summary>
        public int Start;

        /// <summary>End of what the writer committed.</summary>
        public int End;

        public Segment? Next;

        public void Rent(int size)
        {
            if (size <= PinnedBlockPool.BlockSize)
            {
                _block = PinnedBlockPool.Instance.Rent();
                Memory = _block.Memory;
            }
            else
            {
                // Rare (the writers here ask for a block or less): a pinned array of its own.
                Memory = GC.AllocateUninitializedArray<byte>(size, pinned: true);
            }

            _pin = Memory.Pin();
            Pointer = (byte*)_pin.Pointer;
            Start = End = 0;
        }

        public void Return()
        {
            _pin.Dispose();
            _pin = default;
            _block?.Dispose();
            _block = null;
            Memory = default;
            Pointer = null;
            Start = End = 0;
            Next = null;
        }
    }
}
