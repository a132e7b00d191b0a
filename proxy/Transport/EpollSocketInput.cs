using System.Buffers;
using System.IO.Pipelines;
using System.Threading.Tasks.Sources;

namespace Gatehouse.Proxy.Transport;

/// <summary>
/// The read side of an <see cref="EpollSocket"/>: the loop receives into 4 KiB pinned blocks and
/// publishes them, and the reader (Kestrel, or the lean client reading a response) is resumed in place
/// on the loop thread. It counts what the reader consumes, so the per-request byte counts need no
/// reader wrapped around this one.
/// </summary>
/// <remarks>
/// Replaces a <see cref="Pipe"/> plus a counting reader on top: per read that was a pipe lock on each
/// side, a second continuation through the counting layer and two more objects touched per request,
/// which showed once 200 connections no longer fitted in cache.
/// <para>
/// Threads: the loop is the only writer (<see cref="GetReceiveSpan"/>, <see cref="Advance"/>,
/// <see cref="Publish"/>); one reader at a time, from any thread. Both take <see cref="_lock"/>. The
/// reader never returns the tail block (the loop may be receiving into it); the loop does, once all of
/// it is consumed, so an idle connection holds no block.
/// </para>
/// </remarks>
internal sealed unsafe class EpollSocketInput : PipeReader, IValueTaskSource<ReadResult>
{
    // Kestrel's socket transport defaults: 1 MiB read ahead, reading resumes under 512 KiB.
    internal const int PauseThreshold = 1024 * 1024;
    internal const int ResumeThreshold = 512 * 1024;
    private const int MaxSpareSegments = 16;

    private readonly Lock _lock = new();
    private readonly Action _resumeReceive;

    // Segments from _head (first unconsumed byte at _headIndex) to _tail (the loop's). Positions are
    // absolute: RunningIndex counts from the first byte the connection received.
    private Segment? _head;
    private int _headIndex;
    private Segment? _tail;
    private Segment? _unpublished;
    private Segment? _lastPublished;
    private Segment? _spare;
    private int _spareCount;
    private long _published;
    private long _consumed;
    private long _examined;

    private bool _writerCompleted;
    private Exception? _writerError;
    private bool _readerCompleted;
    private bool _cancelNextRead;
    private bool _paused;

    private bool _readWaiting;
    private ManualResetValueTaskSourceCore<ReadResult> _readWait;
    private CancellationTokenRegistration _readCancellation;

    /// <param name="resumeReceive">Called (any thread) when a reader that had fallen 1 MiB behind is back under 512 KiB.</param>
    public EpollSocketInput(Action resumeReceive)
    {
        _resumeReceive = resumeReceive;
    }

    /// <summary>Bytes the reader has consumed since the connection opened.</summary>
    public long BytesConsumed => Volatile.Read(ref _consumed);

    /// <summary>The reader is done: receiving stops.</summary>
    public bool ReaderCompleted => Volatile.Read(ref _readerCompleted);

    // ---- The loop's side ----

    /// <summary>Room in the tail block, at least <paramref name="minimum"/> bytes. Loop thread.</summary>
    public Span<byte> GetReceiveSpan(int minimum = 1)
    {
        var tail = _tail;
        if (tail is not null && tail.Capacity - tail.Written >= minimum)
        {
            return new Span<byte>(tail.Pointer + tail.Written, tail.Capacity - tail.Written);
        }

        lock (_lock)
        {
            tail = _tail;
            if (tail is not null && tail == _head && _headIndex == tail.Written)
            {
                // All of it consumed: receive into the same, still warm, block from its start.
                tail.Restart(_published);
                _headIndex = 0;
                _unpublished = tail;
                _lastPublished = tail;
                return new Span<byte>(tail.Pointer, tail.Capacity);
            }

            var segment = _spare ?? new Segment();
            if (segment == _spare)
            {
                _spare = (Segment?)segment.Next;
                _spareCount--;
            }

            segment.Rent(tail is null ? _published : tail.RunningIndex + tail.Written);
            if (tail is null)
            {
                _head = segment;
                _headIndex = 0;
            }
            else
            {
                tail.Link(segment);
            }

            _tail = segment;
            _unpublished ??= segment;
            return new Span<byte>(segment.Pointer, segment.Capacity);
        }
    }

    /// <summary>Counts <paramref name="bytes"/> received into the span from <see cref="GetReceiveSpan"/>; the reader sees them at <see cref="Publish"/>. Loop thread.</summary>
    public void Advance(int bytes)
    {
        var tail = _tail!;
        tail.Written += bytes;
        _unpublished ??= tail;
    }

    /// <summary>Copies <paramref name="data"/> in, across blocks as needed. Loop thread.</summary>
    public void Write(ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            var span = GetReceiveSpan();
            var n = Math.Min(span.Length, data.Length);
            data[..n].CopyTo(span);
            Advance(n);
            data = data[n..];
        }
    }

    /// <summary>
    /// Hands what was received to the reader, resuming a waiting one here. False when receiving must
    /// stop: the reader has completed, or is 1 MiB behind (receiving resumes through the callback). Loop thread.
    /// </summary>
    public bool Publish()
    {
        var wake = false;
        ReadResult result = default;
        bool keepReceiving;
        lock (_lock)
        {
            for (var segment = _unpublished; segment is not null; segment = (Segment?)segment.Next)
            {
                segment.Publish();
            }

            _unpublished = null;
            if (_tail is not null)
            {
                _lastPublished = _tail;
                _published = _tail.RunningIndex + _tail.Written;
            }

            if (_readWaiting && _published > _examined)
            {
                _readWaiting = false;
                wake = true;
                result = ResultLocked(canceled: false);
            }

            if (!_readerCompleted && _published - _consumed >= PauseThreshold)
            {
                _paused = true;
            }

            keepReceiving = !_readerCompleted && !_paused;
        }

        if (wake)
        {
            // The reader runs now, on this thread, as with a pipe's inline scheduler.
            FinishReadWait(result, null);
            if (keepReceiving)
            {
                ReleaseIfConsumed();
            }
        }

        return keepReceiving && !ReaderCompleted;
    }

    /// <summary>No more data: the reader sees the end (or <paramref name="error"/>) after what is buffered. Loop thread.</summary>
    public void CompleteWriter(Exception? error)
    {
        var wake = false;
        ReadResult result = default;
        lock (_lock)
        {
            if (_writerCompleted)
            {
                return;
            }

            _writerCompleted = true;
            _writerError = error;
            if (_readWaiting)
            {
                _readWaiting = false;
                wake = true;
                if (error is null)
                {
                    result = ResultLocked(canceled: false);
                }
            }

            if (_readerCompleted)
            {
                ReleaseAllLocked();
            }
        }

        if (wake)
        {
            FinishReadWait(result, error);
        }
    }

    /// <summary>The reader has consumed everything: the tail block goes back to the pool. Loop thread, not receiving.</summary>
    public void ReleaseIfConsumed()
    {
        lock (_lock)
        {
            if (_tail is not null && _head == _tail && _headIndex == _tail.Written && _unpublished is null)
            {
                ReleaseAllLocked();
            }
        }
    }

    // ---- The reader's side ----

    public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            if (_readerCompleted)
            {
                throw new InvalidOperationException("Reading is not allowed after the reader was completed.");
            }

            if (_cancelNextRead)
            {
                _cancelNextRead = false;
                return new ValueTask<ReadResult>(ResultLocked(canceled: true));
            }

            if (_writerCompleted && _writerError is not null)
            {
                return ValueTask.FromException<ReadResult>(_writerError);
            }

            if (_published > _examined || _writerCompleted)
            {
                return new ValueTask<ReadResult>(ResultLocked(canceled: false));
            }

            cancellationToken.ThrowIfCancellationRequested();
            _readWait.Reset();
            _readWaiting = true;
            var version = _readWait.Version;
            if (cancellationToken.CanBeCanceled)
            {
                _readCancellation = cancellationToken.UnsafeRegister(
                    static (state, token) => ((EpollSocketInput)state!).CancelReadWait(token), this);
            }

            return new ValueTask<ReadResult>(this, version);
        }
    }

    public override bool TryRead(out ReadResult result)
    {
        lock (_lock)
        {
            if (_readerCompleted)
            {
                throw new InvalidOperationException("Reading is not allowed after the reader was completed.");
            }

            if (_cancelNextRead)
            {
                _cancelNextRead = false;
                result = ResultLocked(canceled: true);
                return true;
            }

            if (_writerCompleted && _writerError is not null)
            {
                throw _writerError;
            }

            if (_published > _consumed || _writerCompleted)
            {
                result = ResultLocked(canceled: false);
                return true;
            }

            result = default;
            return false;
        }
    }

    public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
    {
        var resume = false;
        lock (_lock)
        {
            var consumedAt = Absolute(consumed, _consumed);
            var examinedAt = Absolute(examined, consumedAt);
            if (consumedAt < _consumed || consumedAt > _published || examinedAt < consumedAt)
            {
                throw new InvalidOperationException("The position is outside the data that was read.");
            }

            if (consumed.GetObject() is Segment segment)
            {
                // Segments wholly before the consumed position go back to the pool; never the tail.
                while (_head != segment && _head != _tail)
                {
                    var next = (Segment)_head!.Next!;
                    KeepSpare(_head);
                    _head = next;
                }

                _headIndex = consumed.GetInteger();
                if (_head != _tail && _headIndex == _head!.Written)
                {
                    var next = (Segment)_head.Next!;
                    KeepSpare(_head);
                    _head = next;
                    _headIndex = 0;
                }
            }

            Volatile.Write(ref _consumed, consumedAt);
            _examined = Math.Max(_examined, examinedAt);
            if (_paused && _published - _consumed < ResumeThreshold)
            {
                _paused = false;
                resume = true;
            }
        }

        if (resume)
        {
            _resumeReceive();
        }
    }

    public override void CancelPendingRead()
    {
        ReadResult result;
        lock (_lock)
        {
            if (!_readWaiting)
            {
                _cancelNextRead = true;
                return;
            }

            _readWaiting = false;
            result = ResultLocked(canceled: true);
        }

        FinishReadWait(result, null);
    }

    public override void Complete(Exception? exception = null)
    {
        bool wasPaused;
        lock (_lock)
        {
            if (_readerCompleted)
            {
                return;
            }

            _readerCompleted = true;
            wasPaused = _paused;
            _paused = false;
            if (_writerCompleted)
            {
                ReleaseAllLocked();
            }
        }

        if (wasPaused)
        {
            // The loop waits for the reader to catch up: let it see that the reader is gone.
            _resumeReceive();
        }
    }

    private static long Absolute(SequencePosition position, long whenEmpty)
        => position.GetObject() is Segment segment ? segment.RunningIndex + position.GetInteger() : whenEmpty;

    private ReadResult ResultLocked(bool canceled)
    {
        // Up to the last published byte: a tail the loop is still receiving into is not the reader's yet.
        var last = _lastPublished;
        var buffer = _head is null || last is null
            ? ReadOnlySequence<byte>.Empty
            : new ReadOnlySequence<byte>(_head, _headIndex, last, last.End);
        return new ReadResult(buffer, canceled, _writerCompleted);
    }

    private void ReleaseAllLocked()
    {
        var segment = _head;
        while (segment is not null)
        {
            var next = (Segment?)segment.Next;
            KeepSpare(segment);
            segment = next;
        }

        _head = _tail = _unpublished = _lastPublished = null;
        _headIndex = 0;
    }

    /// <summary>Returns the segment's block; the segment object is kept for the next one (a 16 KiB body spans five).</summary>
    private void KeepSpare(Segment segment)
    {
        segment.Return();
        if (_spareCount < MaxSpareSegments)
        {
            segment.Link(_spare);
            _spare = segment;
            _spareCount++;
        }
    }

    private void CancelReadWait(CancellationToken token)
    {
        lock (_lock)
        {
            if (!_readWaiting)
            {
                return;
            }

            _readWaiting = false;
        }

        FinishReadWait(default, new OperationCanceledException(token));
    }

    private void FinishReadWait(in ReadResult result, Exception? error)
    {
        var registration = _readCancellation;
        _readCancellation = default;
        if (error is null)
        {
            registration.Dispose();
            _readWait.SetResult(result);
        }
        else
        {
            if (error is not OperationCanceledException)
            {
                registration.Dispose();
            }

            _readWait.SetException(error);
        }
    }

    ReadResult IValueTaskSource<ReadResult>.GetResult(short token) => _readWait.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<ReadResult>.GetStatus(short token) => _readWait.GetStatus(token);

    void IValueTaskSource<ReadResult>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
        => _readWait.OnCompleted(continuation, state, token, flags);

    /// <summary>One pinned block in the chain; <see cref="Written"/> runs ahead of what the reader sees until published.</summary>
    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        private IMemoryOwner<byte>? _block;
        private Memory<byte> _full;
        private MemoryHandle _pin;

        public byte* Pointer;
        public int Capacity;

        /// <summary>Received so far (the loop's count).</summary>
        public int Written;

        /// <summary>What the reader may see.</summary>
        public int End;

        public void Rent(long runningIndex)
        {
            _block = PinnedBlockPool.Instance.Rent();
            _full = _block.Memory;
            _pin = _full.Pin();
            Pointer = (byte*)_pin.Pointer;
            Capacity = _full.Length;
            Written = End = 0;
            RunningIndex = runningIndex;
            Memory = default;
            Next = null;
        }

        public void Restart(long runningIndex)
        {
            Written = End = 0;
            Memory = default;
            RunningIndex = runningIndex;
        }

        public void Link(Segment? next) => Next = next;

        public void Publish()
        {
            if (End != Written)
            {
                End = Written;
                Memory = _full[..End];
            }
        }

        public void Return()
        {
            _pin.Dispose();
            _pin = default;
            _block?.Dispose();
            _block = null;
            _full = default;
            Pointer = null;
            Memory = default;
            Written = End = 0;
            Next = null;
        }
    }
}
