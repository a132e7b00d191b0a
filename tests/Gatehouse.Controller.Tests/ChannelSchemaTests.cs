using Gatehouse.Channel;
using Gatehouse.Controller;
using Gatehouse.Controller.Publishing;
using Gatehouse.Model;
using Gatehouse.Serialization;

namespace Gatehouse.Tests;

/// <summary>--channel-schema: a new controller publishing an older minor for proxies not yet upgraded.</summary>
public sealed class ChannelSchemaTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("gatehouse-schema-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static readonly GatehouseConfig Config = new()
    {
        Hosts = [new VirtualHostConfig { Host = "a.example.com", Routes = [new RouteConfig { Path = "/", Backend = "ns/a:80" }] }],
        Backends = [new BackendConfig { Name = "ns/a:80", Endpoints = [new EndpointConfig("10.0.0.1", 80)] }],
    };

    [Fact]
    public void DefaultsToTheNewestSchema()
    {
        var options = CommandLine.Parse(["--manifests", "/m", "--channel", "/c"]).Options!;
        Assert.Equal(SchemaVersion.Current, options.ChannelSchema);
    }

    [Theory]
    [InlineData("1.0", 1, 0)]
    [InlineData("--channel-schema=1.1", 1, 1)]
    public void AcceptsEveryMinorOfTheCurrentMajor(string value, int major, int minor)
    {
        string[] args = value.StartsWith("--", StringComparison.Ordinal)
            ? ["--manifests", "/m", "--channel", "/c", value]
            : ["--manifests", "/m", "--channel", "/c", "--channel-schema", value];
        var result = CommandLine.Parse(args);
        Assert.Null(result.Error);
        Assert.Equal(new SchemaVersion((ushort)major, (ushort)minor), result.Options!.ChannelSchema);
    }

    [Theory]
    [InlineData("2.0", "another major is not supported")]
    [InlineData("0.9", "another major is not supported")]
    [InlineData("1.3", "unknown minor")]
    [InlineData("1", "not a schema version")]
    [InlineData("one.zero", "not a schema version")]
    public void RejectsWhatThisBuildCannotWrite(string value, string expected)
    {
        var result = CommandLine.Parse(["--manifests", "/m", "--channel", "/c", "--channel-schema", value]);
        Assert.Null(result.Options);
        Assert.Contains(expected, result.Error, StringComparison.Ordinal);
        Assert.Contains("this controller writes 1.0 to 1.2", result.Error, StringComparison.Ordinal);
        Assert.Contains("--channel-schema", CommandLine.Usage, StringComparison.Ordinal);
    }

    [Fact]
    public void SinkPublishesTheChosenOlderSchemaWithoutNewerKeys()
    {
        var path = Path.Combine(_directory, "old.bin");
        using (var sink = new ChannelConfigSink(path, new SchemaVersion(1, 0), "gatehouse-controller test"))
        {
            sink.Publish(Config);
        }

        var (slotSchema, config) = ReadActive(path);
        Assert.Equal(new SchemaVersion(1, 0), slotSchema);
        Assert.Equal(new SchemaVersion(1, 0), config.Schema);
        Assert.Null(config.PublishedBy);
        Assert.Null(config.ConfigHash);
        Assert.Equal("ns/a:80", config.Hosts[0].Routes[0].Backend);
    }

    [Fact]
    public void SinkStampsPublisherAndContentHashInTheCurrentSchema()
    {
        var path = Path.Combine(_directory, "new.bin");
        using (var sink = new ChannelConfigSink(path, SchemaVersion.Current, "gatehouse-controller test"))
        {
            sink.Publish(Config with { Generation = 77 });
        }

        var (slotSchema, config) = ReadActive(path);
        Assert.Equal(SchemaVersion.Current, slotSchema);
        Assert.Equal("gatehouse-controller test", config.PublishedBy);
        Assert.Equal(ConfigHash.Compute(Config), config.ConfigHash);
        Assert.Equal(0, config.Generation);
        Assert.StartsWith("gatehouse-controller ", ChannelConfigSink.DefaultPublishedBy, StringComparison.Ordinal);
    }

    [Fact]
    public void SinkRefusesASchemaItCannotWrite()
        => Assert.Throws<ArgumentException>(() => new ChannelConfigSink(Path.Combine(_directory, "x.bin"), new SchemaVersion(2, 0), "x"));

    private static (SchemaVersion SlotSchema, GatehouseConfig Config) ReadActive(string path)
    {
        using var reader = new ConfigChannelReader(path);
        var result = reader.Poll();
        Assert.Equal(ChannelReadStatus.NewBlob, result.Status);
        return (result.Blob!.Schema, ConfigSerializer.Deserialize(result.Blob.Payload));
    }
}
