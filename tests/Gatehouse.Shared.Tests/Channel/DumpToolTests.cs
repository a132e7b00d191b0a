using System.Buffers.Binary;
using System.Text.Json;
using Gatehouse.Channel;
using Gatehouse.Model;
using Gatehouse.Serialization;

namespace Gatehouse.Tests.Channel;

/// <summary>
/// Runs gatehouse-dump as a process against files whose bytes are written here by hand from the
/// table in docs/channel.md (deliberately not through ConfigChannelWriter), so the tests also pin
/// the documented layout.
/// </summary>
public sealed class DumpToolTests : IDisposable
{
    private const string Tool = "gatehouse-dump";
    private static readonly Guid Instance = Guid.Parse("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0");
    private static readonly DateTimeOffset WrittenAt = new(2026, 11, 22, 4, 5, 6, 789, TimeSpan.Zero);

    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData]
    [InlineData("--json")]
    [InlineData("a.bin", "b.bin")]
    [InlineData("a.bin", "--bogus")]
    public async Task BadUsageExitsWith2(params string[] args)
    {
        var result = await ToolProcess.RunAsync(Tool, args);
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("usage: gatehouse-dump", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MissingFileExitsWith1()
    {
        var result = await ToolProcess.RunAsync(Tool, _temp.File("absent.bin"));
        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("no such file", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GarbageFileExitsWith1NamingTheReason()
    {
        var path = _temp.File("garbage.bin");
        var garbage = new byte[8192];
        new Random(3).NextBytes(garbage);
        File.WriteAllBytes(path, garbage);

        var result = await ToolProcess.RunAsync(Tool, path);
        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("(magic)", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FileWithNothingPublishedPrintsHeaderAsJson()
    {
        var path = _temp.File("empty.bin");
        File.WriteAllBytes(path, BuildFile(generation: 0, activeSlot: uint.MaxValue, payload: []));

        var result = await ToolProcess.RunAsync(Tool, path, "--json");
        Assert.True(result.ExitCode == 0, result.ToString());
        using var document = JsonDocument.Parse(result.Stdout);
        var header = document.RootElement.GetProperty("header");
        Assert.Equal(Instance.ToString(), header.GetProperty("instanceId").GetString());
        Assert.Equal(-1, header.GetProperty("activeSlot").GetInt32());
        Assert.Equal(2, header.GetProperty("slots").GetArrayLength());
        Assert.Equal(JsonValueKind.Null, document.RootElement.GetProperty("config").ValueKind);
    }

    [Fact]
    public async Task HeaderIsPrintedAndUndecodablePayloadExitsWith1()
    {
        var path = _temp.File("undecodable.bin");

        // 0xC1 is the one byte MessagePack never uses, so no codec can accept this payload.
        byte[] payload = [0xC1, 0xC1, 0xC1];
        File.WriteAllBytes(path, BuildFile(generation: 5, activeSlot: 1, payload));

        var result = await ToolProcess.RunAsync(Tool, path);
        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains($"instance id:   {Instance}", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("generation:    5", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("active slot:   1", result.Stdout, StringComparison.Ordinal);
        Assert.Contains(
            $"slot 1 (active): offset=8192 capacity=4096 length=3 generation=5 crc=0x{Crc32C.Compute(payload):x8} ok schema=1.2 written-at=2026-11-22T04:05:06.789Z",
            result.Stdout,
            StringComparison.Ordinal);
        Assert.Contains("slot 0: offset=4096 capacity=4096 length=3 generation=4", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("does not decode", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CorruptActiveSlotIsShownAsBadAndExitsWith1()
    {
        var path = _temp.File("bad-crc.bin");
        File.WriteAllBytes(path, BuildFile(generation: 5, activeSlot: 1, payload: [1, 2, 3, 4], crcOverride: 0xDEADBEEF));

        var result = await ToolProcess.RunAsync(Tool, path);
        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("crc=0xdeadbeef bad", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("rejected (crc)", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConfigIsDecodedAndPrivateKeysAreRedacted()
    {
        var path = _temp.File("config.bin");
        File.WriteAllBytes(path, BuildFile(generation: 5, activeSlot: 1, ConfigSerializer.Serialize(SampleConfig())));

        var text = await ToolProcess.RunAsync(Tool, path);
        Assert.True(text.ExitCode == 0, text.ToString());
        Assert.Contains("generation:    5", text.Stdout, StringComparison.Ordinal);
        Assert.Contains("\"host\": \"shop.example.com\"", text.Stdout, StringComparison.Ordinal);
        Assert.Contains("\"privateKeyPem\": \"<redacted>\"", text.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("SECRET-KEY", text.Stdout, StringComparison.Ordinal);

        var json = await ToolProcess.RunAsync(Tool, path, "--json");
        Assert.True(json.ExitCode == 0, json.ToString());
        using var document = JsonDocument.Parse(json.Stdout);
        var header = document.RootElement.GetProperty("header");
        Assert.Equal(5, header.GetProperty("generation").GetInt64());
        Assert.True(header.GetProperty("slots")[1].GetProperty("crcOk").GetBoolean());
        var config = document.RootElement.GetProperty("config");
        Assert.Equal("shop.example.com", config.GetProperty("hosts")[0].GetProperty("host").GetString());
        Assert.Equal("<redacted>", config.GetProperty("certificates")[0].GetProperty("privateKeyPem").GetString());

        var secrets = await ToolProcess.RunAsync(Tool, path, "--json", "--show-secrets");
        Assert.True(secrets.ExitCode == 0, secrets.ToString());
        Assert.Contains("SECRET-KEY", secrets.Stdout, StringComparison.Ordinal);
    }

    internal static GatehouseConfig SampleConfig() => new()
    {
        Generation = 5,
        Hosts =
        [
            new VirtualHostConfig
            {
                Host = "shop.example.com",
                Certificate = "shop/tls",
                Routes = [new RouteConfig { Path = "/api", Match = PathMatch.Exact, Backend = "shop/api:80", Ingress = "shop/web" }],
            },
        ],
        Backends =
        [
            new BackendConfig
            {
                Name = "shop/api:80",
                Namespace = "shop",
                Service = "api",
                Port = "80",
                Endpoints = [new EndpointConfig("10.0.0.7", 8080), new EndpointConfig("fd00::7", 8080)],
            },
        ],
        DefaultBackend = "shop/api:80",
        Certificates =
        [
            new CertificateConfig
            {
                Name = "shop/tls",
                CertificatePem = "-----BEGIN CERTIFICATE-----\nCERT\n-----END CERTIFICATE-----\n",
                PrivateKeyPem = "-----BEGIN PRIVATE KEY-----\nSECRET-KEY\n-----END PRIVATE KEY-----\n",
                Hosts = ["shop.example.com"],
            },
        ],
    };

    /// <summary>
    /// Layout version 1 by hand: header region 4096 bytes, slot 0 at 4096 holding a 3-byte blob of
    /// generation-1, slot 1 at 8192 holding <paramref name="payload"/>.
    /// </summary>
    private static byte[] BuildFile(long generation, uint activeSlot, byte[] payload, uint? crcOverride = null)
    {
        var slot1Capacity = Math.Max(4096, (payload.Length + 4095) / 4096 * 4096);
        var file = new byte[8192 + slot1Capacity];
        var span = file.AsSpan();
        "GHCFGCHN"u8.CopyTo(span);
        BinaryPrimitives.WriteUInt32LittleEndian(span[8..], 1);
        BinaryPrimitives.WriteUInt32LittleEndian(span[12..], 256);
        Instance.TryWriteBytes(span.Slice(16, 16), bigEndian: true, out _);
        BinaryPrimitives.WriteUInt64LittleEndian(span[32..], 10);
        BinaryPrimitives.WriteInt64LittleEndian(span[40..], generation);
        BinaryPrimitives.WriteUInt32LittleEndian(span[48..], activeSlot);

        byte[] older = [1, 2, 3];
        older.CopyTo(span[4096..]);
        WriteSlot(span.Slice(64, 64), offset: 4096, capacity: 4096, older, generation - 1, Crc32C.Compute(older), new SchemaVersion(1, 0));

        payload.CopyTo(span[8192..]);
        WriteSlot(span.Slice(128, 64), offset: 8192, slot1Capacity, payload, generation, crcOverride ?? Crc32C.Compute(payload), new SchemaVersion(1, 2));
        return file;
    }

    private static void WriteSlot(Span<byte> descriptor, long offset, long capacity, byte[] payload, long generation, uint crc, SchemaVersion schema)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(descriptor, 4);
        BinaryPrimitives.WriteInt64LittleEndian(descriptor[8..], offset);
        BinaryPrimitives.WriteInt64LittleEndian(descriptor[16..], capacity);
        BinaryPrimitives.WriteInt64LittleEndian(descriptor[24..], payload.Length);
        BinaryPrimitives.WriteInt64LittleEndian(descriptor[32..], generation);
        BinaryPrimitives.WriteInt64LittleEndian(descriptor[40..], WrittenAt.ToUnixTimeMilliseconds());
        BinaryPrimitives.WriteUInt32LittleEndian(descriptor[48..], crc);
        BinaryPrimitives.WriteUInt16LittleEndian(descriptor[52..], schema.Major);
        BinaryPrimitives.WriteUInt16LittleEndian(descriptor[54..], schema.Minor);
    }
}
