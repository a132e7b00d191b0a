using System.Buffers;
using System.Text;
using Gatehouse.Proxy.Http1;

namespace Gatehouse.Tests.Http1;

public sealed class Http1ChunkedAllocationTests
{
    [Fact]
    public void DecodingAllocatesNothing()
    {
        // 64 KiB in 8 KiB chunks, with an extension and a trailer so every state runs.
        var wire = new List<byte>();
        for (var i = 0; i < 8; i++)
        {
            wire.AddRange(Encoding.ASCII.GetBytes("2000;n=\"v\"\r\n"));
            wire.AddRange(new byte[8192]);
            wire.AddRange("\r\n"u8.ToArray());
        }

        wire.AddRange("0\r\nx-sum: 1\r\n\r\n"u8.ToArray());
        var whole = new ReadOnlySequence<byte>([.. wire]);
        var decoder = new Http1ChunkedDecoder(new Http1Limits());

        Assert.Equal(65536, Decode(decoder, whole));
        var before = GC.GetAllocatedBytesForCurrentThread();
        long total = 0;
        for (var i = 0; i < 100; i++)
        {
            total += Decode(decoder, whole);
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(100 * 65536, total);
        Assert.Equal(0, allocated);
    }

    private static long Decode(Http1ChunkedDecoder decoder, ReadOnlySequence<byte> input)
    {
        decoder.Reset();
        while (true)
        {
            var status = decoder.Decode(input, out var framingEnd, out var data, out _);
            if (status != Http1ChunkedStatus.Data)
            {
                return status == Http1ChunkedStatus.Done ? decoder.BodyBytes : -1;
            }

            decoder.ConsumeData(data.Length);
            input = input.Slice(data.End);
            _ = framingEnd;
        }
    }
}
