using Gatehouse.MessagePack;
using Gatehouse.Model;
using Gatehouse.Serialization;

namespace Gatehouse.Tests.Serialization;

/// <summary>
/// Deterministic mutation fuzzing: whatever happens to a valid blob, Deserialize either succeeds or
/// raises one of its two documented exceptions.
/// </summary>
public sealed class ConfigMutationTests
{
    private static readonly byte[] Interesting =
        [0x00, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xc4, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcf, 0xd3, 0xd4, 0xd8, 0xd9, 0xdb, 0xdc, 0xdd, 0xde, 0xdf, 0xe0, 0xff];

    [Fact]
    public void MutatedBlobsRaiseOnlyDocumentedExceptions()
    {
        var seeds = new[]
        {
            ConfigSerializer.Serialize(TestConfigs.Small()),
            ConfigSerializer.Serialize(TestConfigs.Large(20)),
            ConfigSerializer.Serialize(GatehouseConfig.Empty),
        };
        var random = new Random(20261122);
        int succeeded = 0, formatErrors = 0, schemaErrors = 0;
        for (var iteration = 0; iteration < 20_000; iteration++)
        {
            var blob = Mutate(seeds[iteration % seeds.Length], random);
            try
            {
                ConfigSerializer.Deserialize(blob);
                succeeded++;
            }
            catch (MessagePackFormatException)
            {
                formatErrors++;
            }
            catch (ConfigSchemaException)
            {
                schemaErrors++;
            }
            catch (Exception e)
            {
                Assert.Fail($"Iteration {iteration}: {e.GetType().Name} escaped for blob {Convert.ToHexStringLower(blob)}\n{e}");
            }
        }

        // The mutations must exercise every outcome, or the loop proves little.
        Assert.True(succeeded > 100, $"only {succeeded} mutated blobs still decoded");
        Assert.True(formatErrors > 1_000, $"only {formatErrors} format errors");
        Assert.True(schemaErrors > 0, "no mutation hit the schema major");
    }

    private static byte[] Mutate(byte[] original, Random random)
    {
        var bytes = new List<byte>(original);
        var mutations = random.Next(1, 5);
        for (var m = 0; m < mutations && bytes.Count > 0; m++)
        {
            var at = random.Next(bytes.Count);
            switch (random.Next(7))
            {
                case 0:
                    bytes[at] ^= (byte)(1 << random.Next(8));
                    break;
                case 1:
                    bytes[at] = (byte)random.Next(256);
                    break;
                case 2:
                    bytes[at] = Interesting[random.Next(Interesting.Length)];
                    break;
                case 3:
                    bytes.RemoveRange(at, bytes.Count - at);
                    break;
                case 4:
                    bytes.Insert(at, (byte)random.Next(256));
                    break;
                case 5:
                    bytes.RemoveAt(at);
                    break;
                default:
                    // The schema major sits at byte 9 of every blob; hit it often enough to reach ConfigSchemaException.
                    if (bytes.Count > 9)
                    {
                        bytes[9] = (byte)random.Next(0, 4);
                    }

                    break;
            }
        }

        return [.. bytes];
    }
}
