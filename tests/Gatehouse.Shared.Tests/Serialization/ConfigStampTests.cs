using Gatehouse.Model;
using Gatehouse.Serialization;

namespace Gatehouse.Tests.Serialization;

/// <summary>
/// The controller publishes the canonical bytes it already made, stamped with published_by and
/// config_hash: they must be exactly the bytes a full encoding of the stamped config gives.
/// </summary>
public sealed class ConfigStampTests
{
    public static TheoryData<string> Configs => ["small", "small-without-optional-keys", "large", "empty"];

    private static GatehouseConfig Make(string name) => name switch
    {
        "small" => TestConfigs.Small() with
        {
            DefaultCertificate = "default/tls",
            AppliedObjects = [new AppliedObjectConfig { Kind = "Ingress", Name = "default/web", Revision = "7", Manifest = "{}" }],
        },
        "small-without-optional-keys" => TestConfigs.Small() with { DefaultBackend = null, DefaultCertificate = null, AppliedObjects = [] },
        "large" => TestConfigs.Large(500),
        _ => GatehouseConfig.Empty,
    };

    [Theory]
    [MemberData(nameof(Configs))]
    public void Stamping_the_canonical_bytes_gives_the_full_encoding(string name)
    {
        var config = Make(name);
        var canonical = ConfigHash.Canonical(config);
        var hash = ConfigHash.FromCanonical(canonical);

        Assert.True(ConfigSerializer.TryStamp(canonical, "gatehouse-controller test", hash, out var stamped));

        var expected = ConfigSerializer.Serialize(config with { Generation = 0, PublishedBy = "gatehouse-controller test", ConfigHash = hash });
        Assert.Equal(expected, stamped);
        Assert.Equal(hash, ConfigSerializer.Deserialize(stamped).ConfigHash);
    }

    [Fact]
    public void Bytes_that_already_carry_a_stamp_or_lack_certificates_are_refused()
    {
        var stamped = ConfigSerializer.Serialize(TestConfigs.Small() with { Generation = 0, PublishedBy = "x", ConfigHash = "y" });
        Assert.False(ConfigSerializer.TryStamp(stamped, "x", "y", out _));

        var writer = new System.Buffers.ArrayBufferWriter<byte>();
        var msgpack = new Gatehouse.MessagePack.MessagePackWriter(writer);
        msgpack.WriteMapHeader(1);
        msgpack.WriteString("hosts");
        msgpack.WriteArrayHeader(0);
        Assert.False(ConfigSerializer.TryStamp(writer.WrittenSpan, "x", "y", out _));
    }
}
