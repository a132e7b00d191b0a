using System.Net;
using Gatehouse.Channel;
using Gatehouse.MessagePack;
using Gatehouse.Model;
using Gatehouse.Proxy.Configuration;
using Gatehouse.Proxy.Forwarding;
using Gatehouse.Proxy.Hosting;
using Gatehouse.Serialization;
using Gatehouse.Tests.Infrastructure;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using static Gatehouse.Tests.Infrastructure.Configs;

namespace Gatehouse.Tests.Configuration;

public sealed class ChannelConfigWatcherTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);
    private static readonly Guid Instance = Guid.Parse("6f9619ff-8b86-d011-b42d-00c04fc964ff");

    private readonly ProxyConfigState _state = new(new ForwarderOptions(), NullLogger.Instance);
    private readonly CapturingLogger _log = new();
    private readonly FakeBlobSource _source = new();

    public void Dispose() => _state.Dispose();

    /// <summary>Payload codec for tests: one byte indexes <see cref="Payloads"/>; 0xFF is corrupt, 0xFE a future schema.</summary>
    private static readonly GatehouseConfig[] Payloads =
    [
        CatchAll(Backend("a", new EndpointConfig("10.0.0.1", 80))),
        Of([Host("b.example.com", Prefix("/", "b"))], [Backend("b", new EndpointConfig("10.0.0.2", 80))]),
    ];

    private static GatehouseConfig Decode(byte[] payload) => payload[0] switch
    {
        0xFF => throw new MessagePackFormatException("unexpected type code 0xc1", 17),
        0xFE => throw new ConfigSchemaException(new SchemaVersion(2, 0), SchemaVersion.Current),
        var i => Payloads[i],
    };

    private static ChannelReadResult Blob(long generation, byte payload)
        => new(ChannelReadStatus.NewBlob, new ChannelBlob(Instance, generation, SchemaVersion.Current, DateTimeOffset.UnixEpoch, [payload]));

    private ChannelConfigWatcher NewWatcher() => new(_source, _state, TimeSpan.FromMilliseconds(10), _log, Decode);

    [Fact]
    public void NewBlobSwapsTheTable()
    {
        using var watcher = NewWatcher();
        _source.Enqueue(Blob(1, 0));
        _source.Enqueue(Blob(2, 1));

        Assert.Equal(ChannelReadStatus.NewBlob, watcher.PollOnce());
        var first = _state.Current!;
        Assert.Equal(ChannelReadStatus.NewBlob, watcher.PollOnce());
        var second = _state.Current!;

        Assert.Equal(1, first.Generation);
        Assert.Equal(2, second.Generation);
        Assert.Equal(Instance, second.Info.InstanceId);
        Assert.Equal("b", second.Match("b.example.com", "/")!.Backend.Name);
        Assert.Null(second.Match("a.example.com", "/"));
        Assert.Equal(2, _log.Count(LogLevel.Information));
    }

    [Theory]
    [InlineData(0xFF, "decode_error")]
    [InlineData(0xFE, "schema_major")]
    public void UndecodableBlobLogsOnceAndKeepsLastGood(byte payload, string reason)
    {
        using var watcher = NewWatcher();
        _source.Enqueue(Blob(1, 0));
        watcher.PollOnce();
        _source.Enqueue(Blob(2, payload));

        Assert.Equal(ChannelReadStatus.Rejected, watcher.PollOnce());
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(ChannelReadStatus.NoChange, watcher.PollOnce());
        }

        Assert.Equal(1, _state.Current!.Generation);
        Assert.Equal("a", _state.Current.Match("any", "/")!.Backend.Name);
        var error = Assert.Single(_log.Lines, l => l.Level >= LogLevel.Warning);
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
        Assert.Equal(reason, _state.LastRejection!.Reason);
    }

    [Fact]
    public void RealCodecRefusesAnotherMajorOnceAndKeepsLastGood()
    {
        // The theory above fakes the codec; this one feeds the production decoder a blob a future
        // 2.0 controller could write, so the major check itself is what keeps the table.
        using var watcher = new ChannelConfigWatcher(_source, _state, TimeSpan.FromMilliseconds(10), _log);
        var good = ConfigSerializer.Serialize(CatchAll(Backend("a", new EndpointConfig("10.0.0.1", 80))), SchemaVersion.Current);
        var future = Pack((ref MessagePackWriter w) =>
        {
            w.WriteMapHeader(3);
            w.WriteString("schema");
            w.WriteArrayHeader(2);
            w.WriteUInt64(2);
            w.WriteUInt64(0);
            w.WriteString("generation");
            w.WriteInt64(0);
            // Same key, incompatible meaning in 2.0: a 1.x reader must not try to read it.
            w.WriteString("hosts");
            w.WriteMapHeader(0);
        });
        _source.Enqueue(new ChannelReadResult(ChannelReadStatus.NewBlob, new ChannelBlob(Instance, 1, SchemaVersion.Current, DateTimeOffset.UnixEpoch, good)));
        _source.Enqueue(new ChannelReadResult(ChannelReadStatus.NewBlob, new ChannelBlob(Instance, 2, new SchemaVersion(2, 0), DateTimeOffset.UnixEpoch, future)));

        Assert.Equal(ChannelReadStatus.NewBlob, watcher.PollOnce());
        Assert.Equal(ChannelReadStatus.Rejected, watcher.PollOnce());
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(ChannelReadStatus.NoChange, watcher.PollOnce());
        }

        Assert.Equal(1, _state.Current!.Generation);
        Assert.Equal("a", _state.Current.Match("any.example.com", "/")!.Backend.Name);
        var line = Assert.Single(_log.Lines, l => l.Level >= LogLevel.Warning);
        Assert.Contains("schema_major", line.Message, StringComparison.Ordinal);
        Assert.Contains("2.0", line.Message, StringComparison.Ordinal);
        Assert.Equal("schema_major", _state.LastRejection!.Reason);
    }

    private delegate void WriteBlob(ref MessagePackWriter writer);

    private static byte[] Pack(WriteBlob write)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        var writer = new MessagePackWriter(buffer);
        write(ref writer);
        return buffer.WrittenSpan.ToArray();
    }

    [Fact]
    public void ChannelRejectionIsLoggedAndRecorded()
    {
        using var watcher = NewWatcher();
        _source.Enqueue(Blob(1, 0));
        watcher.PollOnce();
        _source.Enqueue(new ChannelReadResult(ChannelReadStatus.Rejected, RejectReason: "crc", Detail: "slot B crc mismatch"));

        Assert.Equal(ChannelReadStatus.Rejected, watcher.PollOnce());
        Assert.Equal(ChannelReadStatus.NoChange, watcher.PollOnce());

        Assert.Equal(1, _state.Current!.Generation);
        Assert.Equal("crc", _state.LastRejection!.Reason);
        Assert.Contains("crc", Assert.Single(_log.Lines, l => l.Level >= LogLevel.Warning).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingFileStaysNotReadyAndLogsOnce()
    {
        using var watcher = NewWatcher();
        _source.Default = new ChannelReadResult(ChannelReadStatus.FileMissing);

        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(ChannelReadStatus.FileMissing, watcher.PollOnce());
        }

        Assert.False(_state.IsReady);
        Assert.Single(_log.Lines, l => l.Level >= LogLevel.Warning);

        // The file appears: the next poll loads it.
        _source.Enqueue(Blob(1, 0));
        watcher.PollOnce();
        Assert.True(_state.IsReady);
    }

    [Fact]
    public void PollerThatThrowsIsReportedOnceAndDoesNotKillTheWatcher()
    {
        using var watcher = NewWatcher();
        _source.Throw = new IOException("mmap failed");

        Assert.Equal(ChannelReadStatus.Rejected, watcher.PollOnce());
        Assert.Equal(ChannelReadStatus.Rejected, watcher.PollOnce());
        _source.Throw = null;
        _source.Enqueue(Blob(3, 0));

        Assert.Equal(ChannelReadStatus.NewBlob, watcher.PollOnce());
        Assert.Single(_log.Lines, l => l.Level >= LogLevel.Warning);
    }

    [Fact]
    public async Task StrategyThreadAppliesBlobsAsTheyArrive()
    {
        using var watcher = NewWatcher();
        var applied = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        _state.TableChanged += table => applied.TrySetResult(table.Generation);
        _source.Default = new ChannelReadResult(ChannelReadStatus.FileMissing);

        watcher.Start();
        await _source.Polled.Task.WaitAsync(Patience);
        Assert.False(_state.IsReady);
        _source.Enqueue(Blob(5, 0));

        Assert.Equal(5, await applied.Task.WaitAsync(Patience));
        Assert.True(_state.IsReady);
    }

    [Fact]
    public async Task ProxyStartedOnAPublishedChannelServesAtOnce()
    {
        await using var backend = await TestBackend.StartTextAsync("hello");
        var source = new FakeBlobSource();
        var payload = new byte[] { 0 };
        source.Enqueue(new ChannelReadResult(ChannelReadStatus.NewBlob, new ChannelBlob(Instance, 9, SchemaVersion.Current, DateTimeOffset.UnixEpoch, payload)));
        await using var server = new ProxyServer(ProxyHarness.LocalOptions(), NullLoggerFactory.Instance, source, _ => CatchAll(Backend("a", backend.Endpoint)));

        await server.StartAsync();
        using var client = new HttpClient();
        using var response = await client.GetAsync($"http://127.0.0.1:{server.HttpPort}/");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("hello", await response.Content.ReadAsStringAsync());
        Assert.Equal(9, server.State.Current!.Generation);
    }
}
