using System.Text;
using System.Text.Json;
using Gatehouse.Tests.Http2.Infrastructure;

namespace Gatehouse.Tests.Http2;

/// <summary>
/// An HTTP/2 request's sizes in the access log (and the byte metrics) are its own frames, as sent and
/// received, not the connection's bytes it shares with other streams nor the declared body lengths.
/// </summary>
public sealed class Http2WireBytesTests
{
    [Fact]
    public async Task RequestAndResponseSizesAreTheStreamsFrames()
    {
        var log = new MemoryStream();
        var setup = await Http2Setup.StartAsync(configure: options => options with
        {
            AccessLog = Gatehouse.Proxy.Telemetry.AccessLogMode.Stdout,
            AccessLogOutput = log,
        });

        Http2Response download;
        byte[] getBlock, postBlock;
        await using (setup)
        {
            var connection = await setup.ConnectAsync();
            getBlock = TestHpackEncoder.Encode(RawHttp2Connection.Request("GET", "/bytes/30000"));
            await connection.SendHeaderBlockAsync(1, getBlock, endStream: true);
            download = await connection.ReadResponseAsync(1);
            Assert.Equal(30_000, download.Body.Length);

            postBlock = TestHpackEncoder.Encode(RawHttp2Connection.Request("POST", "/upload", extra: ("content-length", "1000")));
            await connection.SendHeaderBlockAsync(3, postBlock, endStream: false);
            await connection.SendDataAsync(3, new byte[1000], endStream: true);
            Assert.Equal(200, (await connection.ReadResponseAsync(3)).Status);
        }

        // Disposing the proxy wrote out the queued lines.
        var lines = Encoding.UTF8.GetString(log.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => JsonDocument.Parse(line).RootElement)
            .ToDictionary(entry => entry.GetProperty("path").GetString()!);

        var get = lines["/bytes/30000"];
        Assert.Equal(9 + getBlock.Length, get.GetProperty("request_size").GetInt64());
        // HEADERS and the DATA frames of stream 1; the connection's own frames (SETTINGS ACK, WINDOW_UPDATE) are nobody's.
        var streamFrames = download.Frames.Where(f => f.StreamId == 1).ToList();
        Assert.True(streamFrames.Count >= 3, $"{streamFrames.Count} frames for a head and 30,000 bytes");
        Assert.Equal(streamFrames.Sum(f => 9L + f.Payload.Length), get.GetProperty("response_size").GetInt64());

        var post = lines["/upload"];
        Assert.Equal(9 + postBlock.Length + 9 + 1000, post.GetProperty("request_size").GetInt64());
    }
}
