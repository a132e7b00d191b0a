using System.Buffers.Binary;

namespace Gatehouse.ChannelStress;

/// <summary>
/// Self-describing payloads: [generation i64][length i32][body], where the body is a
/// deterministic pseudo-random function of the generation, so a reader can check that the bytes it
/// accepted as generation N are exactly what the writer published as N.
/// </summary>
internal static class StressPayload
{
    private const int HeaderLength = 12;

    /// <summary>
    /// Mostly small payloads; every 97th generation is large, cycling 512 KiB .. 4 MiB, which forces
    /// both slots to grow several times early in a run.
    /// </summary>
    public static int SizeFor(long generation)
    {
        if (generation % 97 == 0)
        {
            return (int)((((generation / 97) % 8) + 1) * 512 * 1024);
        }

        return HeaderLength + (int)(Mix((ulong)generation) % 20_000);
    }

    public static byte[] Create(long generation)
    {
        var payload = new byte[SizeFor(generation)];
        BinaryPrimitives.WriteInt64LittleEndian(payload, generation);
        BinaryPrimitives.WriteInt32LittleEndian(payload.AsSpan(8), payload.Length);
        FillBody(generation, payload.AsSpan(HeaderLength));
        return payload;
    }

    /// <summary>Null when the payload is valid for <paramref name="generation"/>, otherwise what is wrong.</summary>
    public static string? Verify(long generation, ReadOnlySpan<byte> payload)
    {
        if (payload.Length < HeaderLength)
        {
            return $"payload of {payload.Length} bytes is too short";
        }

        var embedded = BinaryPrimitives.ReadInt64LittleEndian(payload);
        if (embedded != generation)
        {
            return $"payload says generation {embedded}";
        }

        var length = BinaryPrimitives.ReadInt32LittleEndian(payload[8..]);
        if (length != payload.Length)
        {
            return $"payload says {length} bytes but has {payload.Length}";
        }

        var expected = new byte[payload.Length - HeaderLength];
        FillBody(generation, expected);
        var body = payload[HeaderLength..];
        if (!body.SequenceEqual(expected))
        {
            return $"body differs at byte {HeaderLength + body.CommonPrefixLength(expected)}";
        }

        return null;
    }

    private static void FillBody(long generation, Span<byte> body)
    {
        var state = (ulong)generation * 0x9E3779B97F4A7C15UL;
        var i = 0;
        for (; body.Length - i >= 8; i += 8)
        {
            state = Mix(state);
            BinaryPrimitives.WriteUInt64LittleEndian(body[i..], state);
        }

        state = Mix(state);
        for (; i < body.Length; i++, state >>= 8)
        {
            body[i] = (byte)state;
        }
    }

    /// <summary>SplitMix64 step.</summary>
    private static ulong Mix(ulong x)
    {
        x += 0x9E3779B97F4A7C15UL;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        return x ^ (x >> 31);
    }
}
