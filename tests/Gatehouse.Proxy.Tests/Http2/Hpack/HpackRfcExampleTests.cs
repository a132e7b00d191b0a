using System.Text;
using Gatehouse.Proxy.Http2.Hpack;

namespace Gatehouse.Tests.Http2.Hpack;

/// <summary>RFC 7541 Appendix C.2 to C.6, octet for octet, with the dynamic table checked after every block.</summary>
public sealed class HpackRfcExampleTests
{
    private static readonly (string, string)[] FirstRequest =
        [(":method", "GET"), (":scheme", "http"), (":path", "/"), (":authority", "www.example.com")];

    private static readonly (string, string)[] SecondRequest =
        [(":method", "GET"), (":scheme", "http"), (":path", "/"), (":authority", "www.example.com"), ("cache-control", "no-cache")];

    private static readonly (string, string)[] ThirdRequest =
        [(":method", "GET"), (":scheme", "https"), (":path", "/index.html"), (":authority", "www.example.com"), ("custom-key", "custom-value")];

    private static readonly (string, string)[] FirstResponse =
        [(":status", "302"), ("cache-control", "private"), ("date", "Mon, 21 Oct 2013 20:13:21 GMT"), ("location", "https://www.example.com")];

    private static readonly (string, string)[] SecondResponse =
        [(":status", "307"), ("cache-control", "private"), ("date", "Mon, 21 Oct 2013 20:13:21 GMT"), ("location", "https://www.example.com")];

    private static readonly (string, string)[] ThirdResponse =
    [
        (":status", "200"), ("cache-control", "private"), ("date", "Mon, 21 Oct 2013 20:13:22 GMT"), ("location", "https://www.example.com"),
        ("content-encoding", "gzip"), ("set-cookie", "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1"),
    ];

    [Fact]
    public void C21LiteralWithIndexing()
    {
        var decoder = new HpackDecoder();

        var fields = Decode(decoder, "400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572");

        Assert.Equal([("custom-key", "custom-header")], fields);
        AssertTable(decoder, 55, ("custom-key", "custom-header"));
    }

    [Fact]
    public void C22LiteralWithoutIndexing()
    {
        var decoder = new HpackDecoder();

        var fields = Decode(decoder, "040c 2f73 616d 706c 652f 7061 7468");

        Assert.Equal([(":path", "/sample/path")], fields);
        AssertTable(decoder, 0);
    }

    [Fact]
    public void C23LiteralNeverIndexed()
    {
        var decoder = new HpackDecoder();

        var fields = Decode(decoder, "1008 7061 7373 776f 7264 0673 6563 7265 74");

        Assert.Equal([("password", "secret")], fields);
        AssertTable(decoder, 0);
    }

    [Fact]
    public void C24Indexed()
    {
        var decoder = new HpackDecoder();

        var fields = Decode(decoder, "82");

        Assert.Equal([(":method", "GET")], fields);
        AssertTable(decoder, 0);
    }

    [Fact]
    public void C3RequestsWithoutHuffman()
    {
        var decoder = new HpackDecoder();

        Assert.Equal(FirstRequest, Decode(decoder, "8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d"));
        AssertTable(decoder, 57, (":authority", "www.example.com"));

        Assert.Equal(SecondRequest, Decode(decoder, "8286 84be 5808 6e6f 2d63 6163 6865"));
        AssertTable(decoder, 110, ("cache-control", "no-cache"), (":authority", "www.example.com"));

        Assert.Equal(ThirdRequest, Decode(decoder, "8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65"));
        AssertTable(decoder, 164, ("custom-key", "custom-value"), ("cache-control", "no-cache"), (":authority", "www.example.com"));
    }

    [Fact]
    public void C4RequestsWithHuffman()
    {
        var decoder = new HpackDecoder();

        Assert.Equal(FirstRequest, Decode(decoder, "8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff"));
        AssertTable(decoder, 57, (":authority", "www.example.com"));

        Assert.Equal(SecondRequest, Decode(decoder, "8286 84be 5886 a8eb 1064 9cbf"));
        AssertTable(decoder, 110, ("cache-control", "no-cache"), (":authority", "www.example.com"));

        Assert.Equal(ThirdRequest, Decode(decoder, "8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf"));
        AssertTable(decoder, 164, ("custom-key", "custom-value"), ("cache-control", "no-cache"), (":authority", "www.example.com"));
    }

    [Fact]
    public void C5ResponsesWithoutHuffmanAndEviction()
    {
        var decoder = new HpackDecoder(maxDynamicTableSize: 256);

        Assert.Equal(FirstResponse, Decode(decoder,
            """
            4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133
            2032 303a 3133 3a32 3120 474d 546e 1768 7474 7073 3a2f 2f77 7777 2e65 7861 6d70
            6c65 2e63 6f6d
            """));
        AssertTable(decoder, 222,
            ("location", "https://www.example.com"), ("date", "Mon, 21 Oct 2013 20:13:21 GMT"), ("cache-control", "private"), (":status", "302"));

        Assert.Equal(SecondResponse, Decode(decoder, "4803 3330 37c1 c0bf"));
        AssertTable(decoder, 222,
            (":status", "307"), ("location", "https://www.example.com"), ("date", "Mon, 21 Oct 2013 20:13:21 GMT"), ("cache-control", "private"));

        Assert.Equal(ThirdResponse, Decode(decoder,
            """
            88c1 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3220 474d
            54c0 5a04 677a 6970 7738 666f 6f3d 4153 444a 4b48 514b 425a 584f 5157 454f 5049
            5541 5851 5745 4f49 553b 206d 6178 2d61 6765 3d33 3630 303b 2076 6572 7369 6f6e
            3d31
            """));
        AssertTable(decoder, 215,
            ("set-cookie", "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1"), ("content-encoding", "gzip"),
            ("date", "Mon, 21 Oct 2013 20:13:22 GMT"));
    }

    [Fact]
    public void C6ResponsesWithHuffmanAndEviction()
    {
        var decoder = new HpackDecoder(maxDynamicTableSize: 256);

        Assert.Equal(FirstResponse, Decode(decoder,
            """
            4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6
            2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3
            """));
        AssertTable(decoder, 222,
            ("location", "https://www.example.com"), ("date", "Mon, 21 Oct 2013 20:13:21 GMT"), ("cache-control", "private"), (":status", "302"));

        Assert.Equal(SecondResponse, Decode(decoder, "4883 640e ffc1 c0bf"));
        AssertTable(decoder, 222,
            (":status", "307"), ("location", "https://www.example.com"), ("date", "Mon, 21 Oct 2013 20:13:21 GMT"), ("cache-control", "private"));

        Assert.Equal(ThirdResponse, Decode(decoder,
            """
            88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab
            77ad 94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f
            9587 3160 65c0 03ed 4ee5 b106 3d50 07
            """));
        AssertTable(decoder, 215,
            ("set-cookie", "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1"), ("content-encoding", "gzip"),
            ("date", "Mon, 21 Oct 2013 20:13:22 GMT"));
    }

    internal static List<(string Name, string Value)> Decode(HpackDecoder decoder, string hex)
    {
        var sink = new RecordingSink();
        Assert.True(decoder.Decode(Hex.Bytes(hex), sink));
        return sink.Fields;
    }

    internal static void AssertTable(HpackDecoder decoder, int size, params (string Name, string Value)[] newestFirst)
    {
        var table = decoder.DynamicTable;
        var actual = Enumerable.Range(1, table.Count)
            .Select(index => (Encoding.Latin1.GetString(table.GetName(index)), Encoding.Latin1.GetString(table.GetValue(index))))
            .ToArray();
        Assert.Equal(newestFirst, actual);
        Assert.Equal(size, table.Size);
    }
}
