using System.Buffers;
using System.IO.Pipelines;
using Gatehouse.Proxy.Transport;

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
}
