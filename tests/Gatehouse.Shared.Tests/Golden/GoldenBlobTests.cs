using System.Text.Json.Nodes;
using Gatehouse.Model;
using Gatehouse.Serialization;

namespace Gatehouse.Tests.Golden;

/// <summary>
/// Every shipped schema has a golden blob (tests/golden/schema-M.N/) that every later build must
/// still read, and that this build, writing as that schema, must still produce byte for byte.
/// Adding a schema needs only new files; see tests/golden/README.md.
/// </summary>
public sealed class GoldenBlobTests
{
    public static TheoryData<string> Directories()
    {
        var data = new TheoryData<string>();
        foreach (var directory in GoldenDirectories())
        {
            data.Add(Path.GetFileName(directory));
        }

        return data;
    }

    private static IEnumerable<string> GoldenDirectories()
        => Directory.Exists(GoldenFiles.CopiedRoot)
            ? Directory.GetDirectories(GoldenFiles.CopiedRoot, GoldenFiles.Prefix + "*").Order(StringComparer.Ordinal)
            : [];

    [Theory]
    [MemberData(nameof(Directories))]
    public void GoldenBlobDecodesToItsExpectedJson(string name)
    {
        var directory = Path.Combine(GoldenFiles.CopiedRoot, name);
        var config = ConfigSerializer.Deserialize(File.ReadAllBytes(Path.Combine(directory, GoldenFiles.Blob)));

        Assert.Equal(GoldenFiles.VersionOf(directory), config.Schema);
        var expected = JsonNode.Parse(File.ReadAllText(Path.Combine(directory, GoldenFiles.Expected)))!;
        var actual = JsonNode.Parse(GoldenFiles.RenderJson(config))!;
        AssertCovers(expected, actual, "$");
    }

    [Theory]
    [MemberData(nameof(Directories))]
    public void WritingAsTheGoldensSchemaReproducesItByteForByte(string name)
    {
        var directory = Path.Combine(GoldenFiles.CopiedRoot, name);
        var golden = File.ReadAllBytes(Path.Combine(directory, GoldenFiles.Blob));

        var written = ConfigSerializer.Serialize(GoldenConfig.Create(), GoldenFiles.VersionOf(directory));

        Assert.True(
            golden.AsSpan().SequenceEqual(written),
            $"{name}: the writer's output changed.\ngolden:  {Convert.ToHexStringLower(golden)}\nwritten: {Convert.ToHexStringLower(written)}");
    }

    [Fact]
    public void EveryMinorUpToCurrentHasAGolden()
    {
        // A build that bumps SchemaVersion.Current must ship that schema's golden in the same change.
        var found = GoldenDirectories().Select(GoldenFiles.VersionOf).ToHashSet();
        for (var minor = 0; minor <= SchemaVersion.Current.Minor; minor++)
        {
            var version = new SchemaVersion(SchemaVersion.Current.Major, (ushort)minor);
            Assert.True(found.Contains(version), $"tests/golden/{GoldenFiles.Prefix}{version}/ is missing");
        }
    }

    [Fact]
    public void GoldenConfigCoversTheInterestingCases()
    {
        // If someone trims the representative config, the goldens stop proving much.
        var config = GoldenConfig.Create();
        Assert.Contains(config.Hosts, h => h.Host.Length == 0);
        Assert.Contains(config.Hosts, h => h.IsWildcard);
        foreach (var match in Enum.GetValues<PathMatch>())
        {
            Assert.Contains(config.Hosts.SelectMany(h => h.Routes), r => r.Match == match);
        }

        foreach (var protocol in Enum.GetValues<BackendProtocol>())
        {
            Assert.Contains(config.Backends, b => b.Protocol == protocol);
        }

        Assert.Contains(config.Backends, b => b.Endpoints.IsEmpty);
        Assert.Contains(config.Backends.SelectMany(b => b.Endpoints), e => e.Address.Contains(':', StringComparison.Ordinal));
        Assert.NotNull(config.DefaultBackend);
        Assert.NotEmpty(config.Certificates);
        Assert.NotNull(config.PublishedBy);
        Assert.NotNull(config.ConfigHash);
    }

    /// <summary>
    /// Every value in <paramref name="expected"/> must be in <paramref name="actual"/>. Keys the expected
    /// file lacks are not compared: a later build renders fields the golden's schema did not have.
    /// </summary>
    private static void AssertCovers(JsonNode? expected, JsonNode? actual, string path)
    {
        switch (expected)
        {
            case JsonObject obj:
                var actualObject = Assert.IsType<JsonObject>(actual, exactMatch: false);
                foreach (var (key, value) in obj)
                {
                    Assert.True(actualObject.ContainsKey(key), $"{path}.{key} is missing");
                    AssertCovers(value, actualObject[key], $"{path}.{key}");
                }

                break;
            case JsonArray array:
                var actualArray = Assert.IsType<JsonArray>(actual, exactMatch: false);
                Assert.True(array.Count == actualArray.Count, $"{path}: {array.Count} expected, {actualArray.Count} decoded");
                for (var i = 0; i < array.Count; i++)
                {
                    AssertCovers(array[i], actualArray[i], $"{path}[{i}]");
                }

                break;
            default:
                Assert.True(JsonNode.DeepEquals(expected, actual), $"{path}: expected {expected?.ToJsonString() ?? "null"}, decoded {actual?.ToJsonString() ?? "null"}");
                break;
        }
    }
}
