using System.Text;
using Gatehouse.Proxy.Http1;

namespace Gatehouse.Tests.Http1;

/// <summary>
/// Random bodies encoded with random chunk sizes, extensions and trailers (everything the grammar allows
/// and the decoder accepts), decoded from random reads by random consumers. Seeded, so a failure repeats.
/// </summary>
public sealed class Http1ChunkedRoundTripTests
{
    private const string TokenChars = "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    [Fact]
    public void RandomBodiesDecodeToWhatWasEncoded()
    {
        var rng = new Random(20261207);
        var decoder = new Http1ChunkedDecoder(new Http1Limits());
        for (var iteration = 0; iteration < 400; iteration++)
        {
            var body = new byte[rng.Next(4) == 0 ? rng.Next(20_000) : rng.Next(600)];
            rng.NextBytes(body);
            var wire = Encode(rng, body, out var trailers);
            var next = Encoding.ASCII.GetBytes(ChunkedCorpus.NextRequest);
            byte[] all = [.. wire, .. next];

            decoder.Reset();
            var result = ChunkedBodyReader.Read(decoder, RandomSplit(rng, all), RandomConsumer(rng));

            Assert.True(Http1ChunkedStatus.Done == result.Status, $"iteration {iteration}: {result.Status} {result.Rejection}");
            Assert.Equal(body, result.Body);
            Assert.Equal(body.Length, result.BodyBytes);
            Assert.Equal(trailers, result.TrailerCount);
            Assert.Equal(wire.Length, result.Consumed);
        }
    }

    private static byte[] Encode(Random rng, byte[] body, out int trailers)
    {
        var wire = new List<byte>();
        var maxChunk = rng.Next(3) switch { 0 => 16, 1 => 512, _ => 8192 };
        var position = 0;
        while (position < body.Length)
        {
            var size = rng.Next(1, Math.Min(maxChunk, body.Length - position) + 1);
            Ascii(wire, SizeLine(rng, size));
            wire.AddRange(body.AsSpan(position, size).ToArray());
            Ascii(wire, "\r\n");
            position += size;
        }

        Ascii(wire, SizeLine(rng, 0));
        trailers = rng.Next(4);
        for (var i = 0; i < trailers; i++)
        {
            Ascii(wire, Token(rng) + ":" + Ows(rng));
            var value = new byte[rng.Next(30)];
            for (var j = 0; j < value.Length; j++)
            {
                // field-vchar or obs-text, with SP/HTAB only inside.
                value[j] = j > 0 && j < value.Length - 1 && rng.Next(6) == 0
                    ? (byte)(rng.Next(2) == 0 ? ' ' : '\t')
                    : (byte)(rng.Next(3) == 0 ? rng.Next(0x80, 0x100) : rng.Next(0x21, 0x7F));
            }

            wire.AddRange(value);
            Ascii(wire, Ows(rng) + "\r\n");
        }

        Ascii(wire, "\r\n");
        return [.. wire];
    }

    private static string SizeLine(Random rng, int size)
    {
        var hex = size.ToString(rng.Next(2) == 0 ? "x" : "X", System.Globalization.CultureInfo.InvariantCulture);
        var line = new StringBuilder(new string('0', rng.Next(4) == 0 ? rng.Next(1, 4) : 0)).Append(hex);
        var extensions = rng.Next(3) == 0 ? rng.Next(1, 4) : 0;
        for (var i = 0; i < extensions; i++)
        {
            // BWS before ';' only after an extension: never right after the size.
            line.Append(i > 0 ? Ows(rng) : "").Append(';').Append(Ows(rng)).Append(Token(rng));
            switch (rng.Next(3))
            {
                case 0:
                    line.Append(Ows(rng)).Append('=').Append(Ows(rng)).Append(Token(rng));
                    break;
                case 1:
                    line.Append(Ows(rng)).Append('=').Append(Ows(rng)).Append(Quoted(rng));
                    break;
            }
        }

        return line.Append("\r\n").ToString();
    }

    private static string Quoted(Random rng)
    {
        var text = new StringBuilder("\"");
        var length = rng.Next(12);
        for (var i = 0; i < length; i++)
        {
            var c = (char)rng.Next(0x20, 0x7F);
            text.Append(c is '"' or '\\' || rng.Next(8) == 0 ? "\\" + c : c.ToString());
        }

        return text.Append('"').ToString();
    }

    private static string Token(Random rng)
    {
        var chars = new char[rng.Next(1, 10)];
        for (var i = 0; i < chars.Length; i++)
        {
            chars[i] = TokenChars[rng.Next(TokenChars.Length)];
        }

        return new string(chars);
    }

    private static string Ows(Random rng) => rng.Next(4) switch { 0 => " ", 1 => "\t ", _ => "" };

    private static void Ascii(List<byte> wire, string text) => wire.AddRange(Encoding.ASCII.GetBytes(text));

    private static List<byte[]> RandomSplit(Random rng, byte[] wire)
    {
        var maxGap = rng.Next(4) switch { 0 => 1, 1 => 8, 2 => 300, _ => 70_000 };
        var cuts = new List<int>();
        for (var at = rng.Next(1, maxGap + 1); at < wire.Length; at += rng.Next(1, maxGap + 1))
        {
            cuts.Add(at);
        }

        return SegmentedSequence.Split(wire, cuts);
    }

    private static Func<long, int, long> RandomConsumer(Random rng)
    {
        switch (rng.Next(4))
        {
            case 0:
                return ChunkedBodyReader.All;
            case 1:
                return ChunkedBodyReader.NoneThenHalf;
            default:
                var consumerRng = new Random(rng.Next());
                return (offered, _) => consumerRng.NextInt64(0, offered + 1);
        }
    }
}
