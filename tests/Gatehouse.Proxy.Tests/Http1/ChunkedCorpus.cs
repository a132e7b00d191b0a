using System.Text;

namespace Gatehouse.Tests.Http1;

/// <summary>Valid chunked bodies with what they decode to, each followed on the wire by a pipelined request.</summary>
internal static class ChunkedCorpus
{
    /// <summary>The next request on the connection: the decoder must leave all of it unconsumed.</summary>
    public const string NextRequest = "GET /next HTTP/1.1\r\nHost: example.com\r\n\r\n";

    public static readonly (string Name, string Wire, string Body, int Trailers)[] Entries =
    [
        ("empty", "0\r\n\r\n", "", 0),
        ("one chunk", "5\r\nhello\r\n0\r\n\r\n", "hello", 0),
        ("hex both cases", "a\r\n0123456789\r\nA\r\nabcdefghij\r\n1f\r\n" + new string('z', 31) + "\r\n0\r\n\r\n", "0123456789abcdefghij" + new string('z', 31), 0),
        ("leading zeros", "0005\r\nhello\r\n000\r\n\r\n", "hello", 0),
        ("one-byte chunks", "1\r\na\r\n1\r\nb\r\n1\r\nc\r\n0\r\n\r\n", "abc", 0),
        ("line ends in data", "4\r\n\r\n\r\n\r\n2\r\n0\r\r\n0\r\n\r\n", "\r\n\r\n0\r", 0),
        ("extensions", "5;a\r\nhello\r\n3;a=b;c=\"q \\\" d\";e=!#$%&'*+-.^_`|~\r\nabc\r\n0;last=yes\r\n\r\n", "helloabc", 0),
        ("extension BWS", "5; a = b ;c\t;\td=\"x\" ; e\r\nhello\r\n0;z\r\n\r\n", "hello", 0),
        ("quoted obs-text and pairs", "2;q=\"\u00e9\\\u00ff\\\t\\\\\"\r\nok\r\n0\r\n\r\n", "ok", 0),
        ("trailers", "3\r\nabc\r\n0\r\nX-Sum: 1234\r\nx-empty:\r\nX-WS: \t v a l \u00e9 \t\r\n\r\n", "abc", 3),
        ("trailer after extension", "0;a=b\r\nt:v\r\n\r\n", "", 1),
    ];

    public static TheoryData<string> Names()
    {
        var data = new TheoryData<string>();
        foreach (var entry in Entries)
        {
            data.Add(entry.Name);
        }

        data.Add("binary");
        return data;
    }

    /// <summary>The wire (body then <see cref="NextRequest"/>), the body and its trailer count.</summary>
    public static (byte[] Wire, byte[] Body, int Trailers) Get(string name)
    {
        if (name == "binary")
        {
            // Every byte value, framing bytes included, in one chunk and again split oddly.
            var bytes = Enumerable.Range(0, 256).Select(b => (byte)b).ToArray();
            var wire = new List<byte>();
            wire.AddRange(Encoding.Latin1.GetBytes("100\r\n"));
            wire.AddRange(bytes);
            wire.AddRange(Encoding.Latin1.GetBytes("\r\n7\r\n"));
            wire.AddRange(bytes.AsSpan(10, 7).ToArray());
            wire.AddRange(Encoding.Latin1.GetBytes("\r\nF9\r\n"));
            wire.AddRange(bytes.AsSpan(0, 0xF9).ToArray());
            wire.AddRange(Encoding.Latin1.GetBytes("\r\n0\r\n\r\n" + NextRequest));
            return ([.. wire], [.. bytes, .. bytes.AsSpan(10, 7).ToArray(), .. bytes.AsSpan(0, 0xF9).ToArray()], 0);
        }

        var entry = Entries.Single(e => e.Name == name);
        return (Encoding.Latin1.GetBytes(entry.Wire + NextRequest), Encoding.Latin1.GetBytes(entry.Body), entry.Trailers);
    }
}
