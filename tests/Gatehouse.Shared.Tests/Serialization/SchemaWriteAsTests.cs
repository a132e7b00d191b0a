using System.Text.RegularExpressions;
using Gatehouse.MessagePack;
using Gatehouse.Model;
using Gatehouse.Serialization;

namespace Gatehouse.Tests.Serialization;

/// <summary>Writing as an older minor of the current major, so a new controller can serve old proxies.</summary>
public sealed partial class SchemaWriteAsTests
{
    private static readonly SchemaVersion V10 = new(1, 0);
    private static readonly SchemaVersion V11 = new(1, 1);

    private static GatehouseConfig WithNewKeys() => TestConfigs.Small() with
    {
        PublishedBy = "gatehouse-controller 9.9.9",
        ConfigHash = new string('a', 64),
    };

    [Fact]
    public void WritingAsCurrentKeepsTheOneOnePublishedFields()
    {
        var blob = ConfigSerializer.Serialize(WithNewKeys(), SchemaVersion.Current);
        var restored = ConfigSerializer.Deserialize(blob);

        Assert.Equal(SchemaVersion.Current, restored.Schema);
        ConfigAssert.Equal(WithNewKeys() with { Schema = SchemaVersion.Current }, restored);
    }

    [Fact]
    public void WritingAsOneZeroOmitsKeysIntroducedLater()
    {
        var blob = ConfigSerializer.Serialize(WithNewKeys(), V10);

        Assert.Equal(V10, ConfigSerializer.ReadSchema(blob));
        Assert.Equal(new[] { "schema", "generation", "hosts", "backends", "default_backend", "certificates" }, TopLevelKeys(blob));
        var restored = ConfigSerializer.Deserialize(blob);
        Assert.Null(restored.PublishedBy);
        Assert.Null(restored.ConfigHash);
        ConfigAssert.Equal(TestConfigs.Small() with { Schema = V10 }, restored);
    }

    [Fact]
    public void WritingAsOneOneAddsItsKeysLast()
    {
        var blob = ConfigSerializer.Serialize(WithNewKeys(), V11);
        Assert.Equal(
            new[] { "schema", "generation", "hosts", "backends", "default_backend", "certificates", "published_by", "config_hash" },
            TopLevelKeys(blob));
    }

    [Fact]
    public void OneZeroOutputIsTheOneZeroDocumentedEmptyBlob()
    {
        // docs/channel-payload.md's 54-byte example is a 1.0 blob; writing as 1.0 must still produce it exactly.
        Assert.Equal(
            "85a6736368656d61920100aa67656e65726174696f6e00a5686f73747390a86261636b656e647390ac63657274696669636174657390",
            Convert.ToHexStringLower(ConfigSerializer.Serialize(GatehouseConfig.Empty with { PublishedBy = "x", ConfigHash = "y" }, V10)));
    }

    [Fact]
    public void WriteAsIgnoresTheSchemaTheConfigCarries()
    {
        var read10 = WithNewKeys() with { Schema = V10 };
        Assert.Equal(V11, ConfigSerializer.ReadSchema(ConfigSerializer.Serialize(read10, V11)));
    }

    [Theory]
    [InlineData(2, 0)]
    [InlineData(0, 9)]
    [InlineData(1, 3)]
    [InlineData(1, 65535)]
    public void NewerMinorOrOtherMajorIsAnArgumentError(int major, int minor)
    {
        var version = new SchemaVersion((ushort)major, (ushort)minor);
        Assert.False(ConfigSerializer.CanWrite(version));
        var error = Assert.Throws<ArgumentException>(() => ConfigSerializer.Serialize(TestConfigs.Small(), version));
        Assert.Equal("writeAs", error.ParamName);
    }

    [Fact]
    public void EveryMinorUpToCurrentCanBeWritten()
    {
        for (var minor = 0; minor <= SchemaVersion.Current.Minor; minor++)
        {
            var version = new SchemaVersion(SchemaVersion.Current.Major, (ushort)minor);
            Assert.True(ConfigSerializer.CanWrite(version));
            Assert.Equal(version, ConfigSerializer.Deserialize(ConfigSerializer.Serialize(WithNewKeys(), version)).Schema);
        }
    }

    [Fact]
    public void ConfigHashIgnoresGenerationAndPublisherButNotContent()
    {
        var hash = ConfigHash.Compute(TestConfigs.Small());
        Assert.Matches("^[0-9a-f]{64}$", hash);
        Assert.Equal(hash, ConfigHash.Compute(WithNewKeys() with { Generation = 9000 }));
        Assert.NotEqual(hash, ConfigHash.Compute(TestConfigs.Small() with { DefaultBackend = null }));
    }

    [Fact]
    public void KeyHistoryMatchesTheSinceColumnOfTheDocs()
    {
        // docs/channel-payload.md is the contract outside tools read; its "Since" column must agree
        // with what the writer omits.
        var docs = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "docs", "channel-payload.md"));
        var documented = new Dictionary<string, ushort>(StringComparer.Ordinal);
        string? section = null;
        foreach (var line in docs.Split('\n'))
        {
            var heading = SectionHeading().Match(line);
            if (heading.Success)
            {
                section = heading.Groups[1].Value == "Top level" ? "config" : heading.Groups[1].Value.ToLowerInvariant().Replace(' ', '_');
                continue;
            }

            var row = KeyRow().Match(line);
            if (section is not null && row.Success)
            {
                Assert.Equal("1", row.Groups[2].Value);
                documented[$"{section}.{row.Groups[1].Value}"] = ushort.Parse(row.Groups[3].Value, System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        Assert.Equal(
            ConfigKeyHistory.All.OrderBy(p => p.Key, StringComparer.Ordinal),
            documented.OrderBy(p => p.Key, StringComparer.Ordinal));
    }

    // "### Top level (`GatehouseConfig`)" → config, "### Host (`VirtualHostConfig`)" → host, ...
    [GeneratedRegex(@"^### (Top level|Host|Route|Backend|Endpoint|Certificate|Canary|Header value|Upstream|Affinity|Backend TLS|TLS|Client auth|Applied object) \(`")]
    private static partial Regex SectionHeading();

    // | `key` | ... | 1.0 |   (the last column is "Since", always MAJOR.MINOR)
    [GeneratedRegex(@"^\|\s*`([a-z_]+)`\s*\|.*\|\s*(\d+)\.(\d+)\s*\|\s*$")]
    private static partial Regex KeyRow();

    private static List<string> TopLevelKeys(byte[] blob)
    {
        var reader = new MessagePackReader(blob);
        var count = reader.ReadMapHeader();
        reader.EnterContainer();
        var keys = new List<string>();
        for (var i = 0; i < count; i++)
        {
            keys.Add(reader.ReadString());
            reader.Skip();
        }

        return keys;
    }
}
