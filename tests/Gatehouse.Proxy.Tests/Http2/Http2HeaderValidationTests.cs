using Gatehouse.Tests.Http2.Infrastructure;

namespace Gatehouse.Tests.Http2;

/// <summary>
/// Malformed requests (RFC 9113 8.1.1, 8.2, 8.3): the stream is reset with PROTOCOL_ERROR, nothing reaches
/// the backend, and the connection goes on serving.
/// </summary>
public sealed class Http2HeaderValidationTests
{
    private static readonly (string, string) Method = (":method", "GET");
    private static readonly (string, string) Scheme = (":scheme", "http");
    private static readonly (string, string) Authority = (":authority", "gatehouse.test");
    private static readonly (string, string) Path = (":path", "/id/bad");

    private static List<(string, string)> Valid(params (string, string)[] extra) => [Method, Scheme, Authority, Path, .. extra];

    public static TheoryData<string> MalformedRequests => new()
    {
        "missing-method", "missing-scheme", "missing-path", "empty-path", "duplicate-path", "duplicate-method",
        "unknown-pseudo-header", "pseudo-header-after-regular", "status-in-request",
        "uppercase-name", "name-with-space", "name-with-colon-inside",
        "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te-gzip",
        "value-with-cr", "value-with-lf", "value-with-nul", "value-leading-space", "value-trailing-space", "value-leading-tab",
        "path-without-slash", "path-with-space", "host-differs-from-authority", "authority-with-space", "authority-with-userinfo",
    };

    private static List<(string, string)> Fields(string malformed) => malformed switch
    {
        "missing-method" => [Scheme, Authority, Path],
        "missing-scheme" => [Method, Authority, Path],
        "missing-path" => [Method, Scheme, Authority],
        "empty-path" => [Method, Scheme, Authority, (":path", "")],
        "duplicate-path" => [Method, Scheme, Authority, Path, (":path", "/id/other")],
        "duplicate-method" => [Method, Scheme, Authority, Path, (":method", "POST")],
        "unknown-pseudo-header" => Valid((":foo", "bar")),
        "pseudo-header-after-regular" => [Method, Scheme, ("x-regular", "1"), Authority, Path],
        "status-in-request" => Valid((":status", "200")),
        "uppercase-name" => Valid(("X-Upper", "1")),
        "name-with-space" => Valid(("x bad", "1")),
        "name-with-colon-inside" => Valid(("x:bad", "1")),
        "connection" => Valid(("connection", "keep-alive")),
        "keep-alive" => Valid(("keep-alive", "timeout=5")),
        "proxy-connection" => Valid(("proxy-connection", "keep-alive")),
        "transfer-encoding" => Valid(("transfer-encoding", "chunked")),
        "upgrade" => Valid(("upgrade", "websocket")),
        "te-gzip" => Valid(("te", "gzip")),
        "value-with-cr" => Valid(("x-bad", "a\rb")),
        "value-with-lf" => Valid(("x-bad", "a\nx-injected: 1")),
        "value-with-nul" => Valid(("x-bad", "a\0b")),
        "value-leading-space" => Valid(("x-bad", " a")),
        "value-trailing-space" => Valid(("x-bad", "a ")),
        "value-leading-tab" => Valid(("x-bad", "\ta")),
        "path-without-slash" => [Method, Scheme, Authority, (":path", "id/bad")],
        "path-with-space" => [Method, Scheme, Authority, (":path", "/id/b ad")],
        "host-differs-from-authority" => Valid(("host", "other.test")),
        "authority-with-space" => [Method, Scheme, (":authority", "a b"), Path],
        "authority-with-userinfo" => [Method, Scheme, (":authority", "user@gatehouse.test"), Path],
        _ => throw new ArgumentOutOfRangeException(nameof(malformed)),
    };

    [Theory]
    [MemberData(nameof(MalformedRequests))]
    public async Task MalformedRequestIsResetWithProtocolErrorAndTheConnectionGoesOn(string malformed)
    {
        await using var setup = await Http2Setup.StartAsync();
        var connection = await setup.ConnectAsync();

        await connection.SendHeadersAsync(1, Fields(malformed), endStream: true);

        Assert.Equal(H2.ErrorName(H2.ProtocolError), H2.ErrorName(await connection.ExpectRstStreamAsync(1)));
        var good = await Http2Setup.GetAsync(connection, 3, "/id/good");
        Assert.Equal((200, "good"), (good.Status, good.BodyText));
        Assert.Equal(["/id/good"], setup.Backend.Received.Select(r => r.Target));
    }

    [Fact]
    public async Task TeTrailersIsAccepted()
    {
        await using var setup = await Http2Setup.StartAsync();
        var connection = await setup.ConnectAsync();

        await connection.SendHeadersAsync(1, Valid(("te", "trailers")), endStream: true);
        var response = await connection.ReadResponseAsync(1);

        Assert.Equal((200, "bad"), (response.Status, response.BodyText));
    }

    [Fact]
    public async Task HeaderListOverTheLimitIsAnswered431AndTheConnectionGoesOn()
    {
        await using var setup = await Http2Setup.StartAsync();
        var connection = await setup.ConnectAsync();

        // Three 30,000-byte values: about 90 KB decoded (over MaxHeaderListSize, 64 KiB) in a block
        // under MaxHeaderBlockSize (128 KiB), split into frames of the default maximum size.
        var big = new string('v', 30_000);
        var block = TestHpackEncoder.Encode(Valid(("x-big-1", big), ("x-big-2", big), ("x-big-3", big)));
        Assert.InRange(block.Length, 64 * 1024 + 1, 128 * 1024 - 1);
        var chunks = block.Chunk(16384).ToList();
        await connection.SendHeaderBlockAsync(1, chunks[0], endStream: true, endHeaders: false);
        for (var i = 1; i < chunks.Count; i++)
        {
            await connection.SendContinuationAsync(1, chunks[i], endHeaders: i == chunks.Count - 1);
        }

        var response = await connection.ReadResponseAsync(1);
        Assert.Equal(431, response.Status);
        Assert.Equal(0, setup.Backend.Count);

        var good = await Http2Setup.GetAsync(connection, 3, "/id/good");
        Assert.Equal((200, "good"), (good.Status, good.BodyText));
    }

    [Theory]
    [InlineData(10, 5)]
    [InlineData(5, 10)]
    public async Task BodyNotMatchingContentLengthIsResetWithProtocolError(int declared, int sent)
    {
        await using var setup = await Http2Setup.StartAsync();
        var connection = await setup.ConnectAsync();

        await connection.SendHeadersAsync(1, [(":method", "POST"), Scheme, Authority, (":path", "/upload"), ("content-length", declared.ToString(System.Globalization.CultureInfo.InvariantCulture))], endStream: false);
        await connection.SendDataAsync(1, new byte[sent], endStream: true);

        Assert.Equal(H2.ErrorName(H2.ProtocolError), H2.ErrorName(await connection.ExpectRstStreamAsync(1)));
        var good = await Http2Setup.GetAsync(connection, 3, "/id/good");
        Assert.Equal(200, good.Status);
    }
}
