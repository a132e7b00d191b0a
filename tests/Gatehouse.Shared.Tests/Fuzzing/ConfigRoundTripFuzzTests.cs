using Gatehouse.Serialization;
using Gatehouse.Tests.Serialization;

namespace Gatehouse.Tests.Fuzzing;

/// <summary>Random valid configs survive Serialize → Deserialize, and the encoding is a fixed point.</summary>
public sealed class ConfigRoundTripFuzzTests
{
    public const int Cases = 3_000;

    [Fact]
    public void RandomConfigsRoundTrip()
    {
        FuzzRun.Cases(nameof(RandomConfigsRoundTrip), 6_006, Cases, (random, i) =>
        {
            var config = RandomConfigs.Config(random);
            var blob = ConfigSerializer.Serialize(config);
            var decoded = ConfigSerializer.Deserialize(blob);
            ConfigAssert.Equal(config, decoded);
            Assert.Equal(config.Schema, ConfigSerializer.ReadSchema(blob));

            var again = ConfigSerializer.Serialize(decoded);
            Assert.True(blob.AsSpan().SequenceEqual(again), "re-encoding a decoded config changed its bytes");
        });
    }
}
