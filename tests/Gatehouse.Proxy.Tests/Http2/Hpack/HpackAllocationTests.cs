using Gatehouse.Proxy.Http2.Hpack;

namespace Gatehouse.Tests.Http2.Hpack;

public sealed class HpackAllocationTests
{
    private const int Iterations = 1000;

    [Fact]
    public void DecodingABlockThatInsertsNothingAllocatesNothing()
    {
        var decoder = new HpackDecoder();
        var sink = new CountingSink();
        var firstBlock = new HeaderBlockBuilder()
            .Literal(0x40, "x-session", "abcdefghijklmnop", huffman: true)
            .Literal(0x40, "user-agent", "Mozilla/5.0 (X11; Linux x86_64)", huffman: true)
            .ToArray();
        Assert.True(decoder.Decode(firstBlock, sink));

        // Static and dynamic indexes, Huffman and raw literals, new and indexed names, never indexed.
        var block = new HeaderBlockBuilder()
            .Indexed(2).Indexed(7).Indexed(62).Indexed(63)
            .LiteralIndexedName(0x00, 4, "/api/v1/items?page=2&sort=name", huffman: true)
            .LiteralIndexedName(0x00, 1, "www.example.com")
            .Literal(0x00, "x-request-id", "0123456789abcdef0123456789abcdef", huffman: true)
            .Literal(0x10, "authorization-token", "secret")
            .LiteralIndexedName(0x10, 32, "a=1; b=2; c=3", huffman: true)
            .ToArray();
        for (var i = 0; i < 10; i++)
        {
            Assert.True(decoder.Decode(block, sink));
        }

        sink.Fields = 0;
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < Iterations; i++)
        {
            decoder.Decode(block, sink);
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(9 * Iterations, sink.Fields);
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void EncodingAllocatesNothing()
    {
        var buffer = new byte[4096];
        (string Name, string Value)[] fields =
        [
            ("Content-Type", "text/html; charset=utf-8"), ("X-Request-ID", "0123456789abcdef"), ("server", "gatehouse"),
            ("X-Caf\u00e9", "\u00e9t\u00e9 \u20ac \U0001F600"), ("Cache-Control", new string('c', 300)),
        ];

        var total = Encode(buffer, fields);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < Iterations; i++)
        {
            total += Encode(buffer, fields);
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.True(total > 0);
        Assert.Equal(0, allocated);
    }

    private static int Encode(byte[] buffer, (string Name, string Value)[] fields)
    {
        var position = HpackEncoder.WriteStatus(200, buffer);
        position += HpackEncoder.WriteStatus(302, buffer.AsSpan(position));
        foreach (var (name, value) in fields)
        {
            position += HpackEncoder.GetMaxEncodedLength(name, value) > 0 && HpackEncoder.TryWriteHeader(name, value, buffer.AsSpan(position), out var written)
                ? written
                : throw new InvalidOperationException("buffer too small");
        }

        return position;
    }

    private sealed class CountingSink : IHpackHeaderSink
    {
        public int Fields { get; set; }

        public void OnHeader(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value) => Fields++;
    }
}
