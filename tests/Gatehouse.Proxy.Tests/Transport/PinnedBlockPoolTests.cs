using System.Buffers;
using System.IO.Pipelines;
using Gatehouse.Proxy.Transport;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gatehouse.Proxy.Tests.Transport;

public sealed class PinnedBlockPoolTests
{
    [Fact]
    public async Task APipeOnThePoolCarriesWritesLargerThanOneBlock()
    {
        var pipe = new Pipe(new PipeOptions(PinnedBlockPool.Instance, pauseWriterThreshold: 0));
        var payload = Enumerable.Range(0, 3 * PinnedBlockPool.BlockSize + 123).Select(i => (byte)i).ToArray();
        pipe.Writer.Write(payload);
        await pipe.Writer.FlushAsync();
        pipe.Writer.Complete();

        var read = await pipe.Reader.ReadAtLeastAsync(payload.Length);
        Assert.Equal(payload, read.Buffer.ToArray());
    }

    [Fact]
    public async Task AnEventLoopRentsTheBlockItReturnedLastAndKeepsItFromOtherThreads()
    {
        // Blocks queued in the shared pool first: a shared first-in-first-out queue would hand one of them out next.
        var seeded = Enumerable.Range(0, 4).Select(_ => PinnedBlockPool.Instance.Rent()).ToList();
        seeded.ForEach(block => block.Dispose());

        using var loops = new EpollLoopGroup(1, NullLoggerFactory.Instance);
        var (returned, rentedAgain, keptBack) = await OnLoop.RunAsync(loops[0], () =>
        {
            var first = PinnedBlockPool.Instance.Rent();
            var second = PinnedBlockPool.Instance.Rent();
            first.Dispose();
            second.Dispose();
            return (second, PinnedBlockPool.Instance.Rent(), first);
        });

        Assert.Same(returned, rentedAgain);

        // The other block stays with the loop: this thread's rents come from the shared pool.
        var elsewhere = Enumerable.Range(0, 64).Select(_ => PinnedBlockPool.Instance.Rent()).ToList();
        Assert.DoesNotContain(elsewhere, block => ReferenceEquals(block, keptBack));
        elsewhere.ForEach(block => block.Dispose());
        await OnLoop.RunAsync(loops[0], () =>
        {
            rentedAgain.Dispose();
            return true;
        });
    }
}
