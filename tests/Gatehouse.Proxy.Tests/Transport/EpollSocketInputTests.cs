using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using Gatehouse.Proxy.Transport;

namespace Gatehouse.Proxy.Tests.Transport;

/// <summary>
/// The socket's reader, driven here by the test as the loop would: receive into the span, advance,
/// publish. The reader sees only what was published, is resumed inside the publish, and counts what it consumes.
/// </summary>
public sealed class EpollSocketInputTests
{
    private int _resumed;

    private EpollSocketInput NewInput() => new(() => Interlocked.Increment(ref _resumed));

    [Fact]
    public async Task TheReaderSeesOnlyWhatWasPublishedAndIsResumedInsideThePublish()
    {
        var input = NewInput();
        var read = input.ReadAsync();
        Assert.False(read.IsCompleted);

        Receive(input, "GET / HTTP/1.1\r\n");
        Assert.False(read.IsCompleted);
        Assert.True(input.Publish());

        // Resumed before Publish returned, as a pipe with the inline scheduler would be.
        Assert.True(read.IsCompleted);
        var result = await read;
        Assert.Equal("GET / HTTP/1.1\r\n", Text(result.Buffer));
        input.AdvanceTo(result.Buffer.End);
        Assert.Equal(16, input.BytesConsumed);
    }

    [Fact]
    public async Task ABufferExaminedToTheEndWaitsForMoreAndPartOfItConsumedIsThereNextTime()
    {
        var input = NewInput();
        Receive(input, "GET / HTTP/1.1\r\nHost: a");
        input.Publish();

        var first = await input.ReadAsync();
        var headerLine = first.Buffer.PositionOf((byte)'\n')!.Value;
        input.AdvanceTo(first.Buffer.GetPosition(1, headerLine), first.Buffer.End);
        Assert.Equal(16, input.BytesConsumed);

        // Everything was examined: nothing new, no read.
        var second = input.ReadAsync();
        Assert.False(second.IsCompleted);
        Receive(input, "\r\n\r\n");
        input.Publish();
        var result = await second;
        Assert.Equal("Host: a\r\n\r\n", Text(result.Buffer));
        input.AdvanceTo(result.Buffer.End);
        Assert.Equal(27, input.BytesConsumed);
    }

    [Fact]
    public async Task DataOverSeveralBlocksArrivesWholeAndInOrderAndIsCountedExactly()
    {
        var input = NewInput();
        var payload = EpollSocketTestBase.Pattern(3 * PinnedBlockPool.BlockSize + 1000);
        input.Write(payload.AsSpan(0, 100));
        input.Write(payload.AsSpan(100));
        Assert.True(input.Publish());

        var result = await input.ReadAsync();
        Assert.False(result.Buffer.IsSingleSegment);
        Assert.Equal(payload, result.Buffer.ToArray());

        // Consume part of it; the rest comes back on the next read, from the right place.
        var consumed = 2 * PinnedBlockPool.BlockSize + 17;
        input.AdvanceTo(result.Buffer.GetPosition(consumed));
        Assert.Equal(consumed, input.BytesConsumed);
        var rest = await input.ReadAsync();
        Assert.Equal(payload.AsSpan(consumed).ToArray(), rest.Buffer.ToArray());
        input.AdvanceTo(rest.Buffer.End);
        Assert.Equal(payload.Length, input.BytesConsumed);

        // The emptied input takes more, counted on from where it was.
        Receive(input, "next");
        input.Publish();
        var next = await input.ReadAsync();
        Assert.Equal("next", Text(next.Buffer));
        input.AdvanceTo(next.Buffer.End);
        Assert.Equal(payload.Length + 4, input.BytesConsumed);
    }

    [Fact]
    public async Task AReaderOneMebibyteBehindPausesReceivingUntilItIsBackUnderHalf()
    {
        var input = NewInput();
        var chunk = EpollSocketTestBase.Pattern(64 * 1024);
        var published = 0;
        do
        {
            input.Write(chunk);
            published += chunk.Length;
        }
        while (input.Publish());

        Assert.Equal(EpollSocketInput.PauseThreshold, published);
        var result = await input.ReadAsync();
        Assert.Equal(published, result.Buffer.Length);

        // Leaving exactly half unconsumed is not enough; one byte more and receiving resumes, once.
        input.AdvanceTo(result.Buffer.GetPosition(published - EpollSocketInput.ResumeThreshold), result.Buffer.End);
        Assert.Equal(0, _resumed);
        Assert.True(input.TryRead(out result));
        input.AdvanceTo(result.Buffer.GetPosition(1), result.Buffer.End);
        Assert.Equal(1, _resumed);
        Assert.True(input.TryRead(out result));
        input.AdvanceTo(result.Buffer.GetPosition(1), result.Buffer.End);
        Assert.Equal(1, _resumed);
        Assert.True(input.Publish());
    }

    [Fact]
    public void AReaderThatCompletesWhileReceivingIsPausedLetsTheLoopGoOn()
    {
        var input = NewInput();
        var chunk = EpollSocketTestBase.Pattern(64 * 1024);
        do
        {
            input.Write(chunk);
        }
        while (input.Publish());

        input.Complete();
        Assert.Equal(1, _resumed);
        Assert.True(input.ReaderCompleted);
    }

    [Fact]
    public async Task TheWritersEndComesAfterTheDataAndAnErrorInsteadOfIt()
    {
        var input = NewInput();
        Receive(input, "last");
        input.Publish();
        input.CompleteWriter(null);
        var result = await input.ReadAsync();
        Assert.True(result.IsCompleted);
        Assert.Equal("last", Text(result.Buffer));
        input.AdvanceTo(result.Buffer.End);

        var failed = NewInput();
        var waiting = failed.ReadAsync();
        var reset = new IOException("reset by peer");
        failed.CompleteWriter(reset);
        Assert.Same(reset, await Assert.ThrowsAsync<IOException>(async () => await waiting));
        Assert.Same(reset, await Assert.ThrowsAsync<IOException>(async () => await failed.ReadAsync()));
    }

    [Fact]
    public async Task CancelPendingReadEndsTheWaitingReadOrElseTheNextOne()
    {
        var input = NewInput();
        var waiting = input.ReadAsync();
        input.CancelPendingRead();
        Assert.True((await waiting).IsCanceled);

        input.CancelPendingRead();
        Assert.True((await input.ReadAsync()).IsCanceled);
    }

    [Fact]
    public async Task AWaitingReadEndsWithItsToken()
    {
        var input = NewInput();
        using var timeout = new CancellationTokenSource();
        var waiting = input.ReadAsync(timeout.Token);
        timeout.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await waiting);

        // The input still works afterwards.
        Receive(input, "x");
        input.Publish();
        Assert.Equal("x", Text((await input.ReadAsync()).Buffer));
    }

    [Fact]
    public void TryReadFindsUnconsumedBytesAndACompletedReaderStopsReceiving()
    {
        var input = NewInput();
        Assert.False(input.TryRead(out _));
        Receive(input, "stray");
        Assert.False(input.TryRead(out _));
        input.Publish();
        Assert.True(input.TryRead(out var result));
        Assert.Equal("stray", Text(result.Buffer));
        input.AdvanceTo(result.Buffer.Start, result.Buffer.End);

        // Examined but not consumed: still there for TryRead, as with a pipe.
        Assert.True(input.TryRead(out result));
        input.AdvanceTo(result.Buffer.End);

        input.Complete();
        Receive(input, "more");
        Assert.False(input.Publish());
        Assert.True(input.ReaderCompleted);
    }

    private static void Receive(EpollSocketInput input, string text)
    {
        var bytes = Encoding.ASCII.GetBytes(text);
        var span = input.GetReceiveSpan(bytes.Length);
        bytes.CopyTo(span);
        input.Advance(bytes.Length);
    }

    private static string Text(ReadOnlySequence<byte> buffer) => Encoding.ASCII.GetString(buffer.ToArray());
}
