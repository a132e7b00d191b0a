using System.Buffers.Binary;

namespace Gatehouse.Tests.Fuzzing;

/// <summary>
/// Structure-unaware mutations of a valid blob. Besides the classic bit flip / insert / delete /
/// truncate, it inflates length and count fields (the reader's most dangerous input: a small blob
/// that claims to be huge) and splices two blobs, which yields well-formed prefixes followed by
/// foreign structure.
/// </summary>
internal static class Mutator
{
    /// <summary>Format bytes that start a length- or count-prefixed value, and the size of that prefix.</summary>
    private static readonly Dictionary<byte, int> LengthPrefixed = new()
    {
        [0xc4] = 1, [0xc5] = 2, [0xc6] = 4, // bin
        [0xc7] = 1, [0xc8] = 2, [0xc9] = 4, // ext
        [0xd9] = 1, [0xda] = 2, [0xdb] = 4, // str
        [0xdc] = 2, [0xdd] = 4,             // array
        [0xde] = 2, [0xdf] = 4,             // map
    };

    private static readonly byte[] Interesting =
        [0x00, 0x01, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xc3, 0xc4, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcc, 0xcf, 0xd0, 0xd3, 0xd4, 0xd8, 0xd9, 0xdb, 0xdc, 0xdd, 0xde, 0xdf, 0xe0, 0xff];

    public static byte[] Mutate(byte[] original, byte[] other, Random random)
    {
        var bytes = new List<byte>(original);
        var mutations = random.Next(1, 5);
        for (var m = 0; m < mutations; m++)
        {
            if (bytes.Count == 0)
            {
                bytes.Add((byte)random.Next(256));
                continue;
            }

            var at = random.Next(bytes.Count);
            switch (random.Next(9))
            {
                case 0:
                    bytes[at] ^= (byte)(1 << random.Next(8));
                    break;
                case 1:
                    bytes[at] = Interesting[random.Next(Interesting.Length)];
                    break;
                case 2:
                    bytes.Insert(at, random.Next(2) == 0 ? (byte)random.Next(256) : Interesting[random.Next(Interesting.Length)]);
                    break;
                case 3:
                    bytes.RemoveRange(at, Math.Min(random.Next(1, 9), bytes.Count - at));
                    break;
                case 4:
                    bytes.RemoveRange(at, bytes.Count - at);
                    break;
                case 5:
                case 6:
                    InflateLength(bytes, random);
                    break;
                case 7:
                    Splice(bytes, other, random);
                    break;
                default:
                    // Duplicate a run: repeated keys and values are valid MessagePack with odd meaning.
                    var length = Math.Min(random.Next(1, 32), bytes.Count - at);
                    bytes.InsertRange(random.Next(bytes.Count + 1), bytes.GetRange(at, length));
                    break;
            }
        }

        return [.. bytes];
    }

    /// <summary>Finds a length/count prefix (or a fix-family header) and makes it claim more than is there.</summary>
    private static void InflateLength(List<byte> bytes, Random random)
    {
        var start = random.Next(bytes.Count);
        for (var probe = 0; probe < bytes.Count; probe++)
        {
            var i = (start + probe) % bytes.Count;
            var code = bytes[i];
            if (LengthPrefixed.TryGetValue(code, out var size) && i + size < bytes.Count)
            {
                Span<byte> field = stackalloc byte[4];
                var value = random.Next(4) switch
                {
                    0 => uint.MaxValue,
                    1 => (uint)bytes.Count,
                    2 => (uint)bytes.Count - (uint)i,
                    _ => (uint)random.Next(),
                };
                BinaryPrimitives.WriteUInt32BigEndian(field, value);
                for (var b = 0; b < size; b++)
                {
                    bytes[i + 1 + b] = field[4 - size + b];
                }

                return;
            }

            if (code is >= 0x80 and <= 0x9f)
            {
                // fixmap/fixarray: maximal count of the same family.
                bytes[i] = (byte)(code | 0x0f);
                return;
            }

            if (code is >= 0xa0 and <= 0xbf)
            {
                bytes[i] = 0xbf;
                return;
            }
        }
    }

    /// <summary>Replaces a tail of <paramref name="bytes"/> with a tail of <paramref name="other"/>.</summary>
    private static void Splice(List<byte> bytes, byte[] other, Random random)
    {
        if (other.Length == 0)
        {
            return;
        }

        var cut = random.Next(bytes.Count + 1);
        var from = random.Next(other.Length);
        var take = random.Next(2) == 0 ? other.Length - from : Math.Min(random.Next(1, 64), other.Length - from);
        bytes.RemoveRange(cut, bytes.Count - cut);
        bytes.AddRange(other.AsSpan(from, take).ToArray());
    }
}
