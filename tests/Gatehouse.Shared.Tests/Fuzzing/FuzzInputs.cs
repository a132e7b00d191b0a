using System.Text;
using Gatehouse.Serialization;

namespace Gatehouse.Tests.Fuzzing;

/// <summary>
/// Random byte strings biased towards MessagePack structure: uniformly random bytes almost always
/// fail on the first byte, so most inputs are built from tokens (format bytes, config keys, small
/// values) and half start with a valid "schema" entry to get past the version check.
/// </summary>
internal static class FuzzInputs
{
    private static readonly byte[][] Keys =
        [.. new[]
        {
            "schema", "generation", "hosts", "backends", "default_backend", "certificates", "host", "routes",
            "certificate", "path", "match", "backend", "ingress", "name", "namespace", "service", "port",
            "protocol", "endpoints", "address", "cert_pem", "key_pem",
        }.Select(k => (byte[])[(byte)(0xa0 | k.Length), .. Encoding.UTF8.GetBytes(k)])];

    /// <summary>"schema": [1, 0], after a map header of (mostly) one or two entries so some inputs decode.</summary>
    private static readonly byte[] SchemaEntry = [0xa6, .. "schema"u8, 0x92, 0x01, 0x00];

    private static readonly byte[] Formats =
        [0x00, 0x05, 0x7f, 0x80, 0x81, 0x84, 0x8f, 0x90, 0x91, 0x94, 0x9f, 0xa0, 0xa1, 0xbf, 0xc0, 0xc1, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xcb, 0xcc, 0xcd, 0xce, 0xcf, 0xd0, 0xd1, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda, 0xdb, 0xdc, 0xdd, 0xde, 0xdf, 0xe0, 0xff];

    public static byte[] Structured(Random random)
    {
        var bytes = new List<byte>();
        if (random.Next(2) == 0)
        {
            bytes.Add((byte)(0x80 | (random.Next(4) == 0 ? random.Next(1, 16) : random.Next(1, 3))));
            bytes.AddRange(SchemaEntry);
        }

        var tokens = random.Next(10) == 0 ? random.Next(50, 400) : random.Next(0, 40);
        for (var t = 0; t < tokens; t++)
        {
            switch (random.Next(6))
            {
                case 0:
                    bytes.Add((byte)random.Next(256));
                    break;
                case 1:
                case 2:
                    bytes.Add(Formats[random.Next(Formats.Length)]);
                    break;
                case 3:
                    bytes.AddRange(Keys[random.Next(Keys.Length)]);
                    break;
                case 4:
                    // A short string value.
                    var length = random.Next(8);
                    bytes.Add((byte)(0xa0 | length));
                    for (var i = 0; i < length; i++)
                    {
                        bytes.Add((byte)random.Next(0x20, 0x7f));
                    }

                    break;
                default:
                    // A length-prefixed header with a plausible or absurd length.
                    bytes.Add(Formats[random.Next(Formats.Length)]);
                    bytes.Add((byte)(random.Next(2) == 0 ? 0 : random.Next(256)));
                    bytes.Add((byte)random.Next(256));
                    break;
            }
        }

        return [.. bytes];
    }

    public static byte[] Uniform(Random random)
    {
        var bytes = new byte[random.Next(10) == 0 ? random.Next(64, 2048) : random.Next(0, 64)];
        random.NextBytes(bytes);
        return bytes;
    }

    /// <summary>The documented failure modes of <see cref="ConfigSerializer.Deserialize"/>; anything else escapes with the input in hex.</summary>
    public static DecodeOutcome Decode(byte[] blob)
    {
        try
        {
            ConfigSerializer.Deserialize(blob);
            return DecodeOutcome.Decoded;
        }
        catch (Gatehouse.MessagePack.MessagePackFormatException)
        {
            return DecodeOutcome.FormatError;
        }
        catch (ConfigSchemaException)
        {
            return DecodeOutcome.SchemaError;
        }
        catch (Exception e)
        {
            throw new InvalidOperationException($"Deserialize raised {e.GetType().Name} for {Convert.ToHexStringLower(blob)}", e);
        }
    }

    /// <summary>Skip must consume exactly one value or raise MessagePackFormatException.</summary>
    public static bool Skip(byte[] blob)
    {
        try
        {
            var reader = new Gatehouse.MessagePack.MessagePackReader(blob);
            reader.Skip();
            if (reader.Position <= 0 || reader.Position > blob.Length)
            {
                throw new InvalidOperationException($"Skip ended at {reader.Position} of {blob.Length}");
            }

            return true;
        }
        catch (Gatehouse.MessagePack.MessagePackFormatException)
        {
            return false;
        }
        catch (Exception e) when (e is not InvalidOperationException)
        {
            throw new InvalidOperationException($"Skip raised {e.GetType().Name} for {Convert.ToHexStringLower(blob)}", e);
        }
    }
}
