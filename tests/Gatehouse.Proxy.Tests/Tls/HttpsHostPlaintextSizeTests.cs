using System.Text;
using System.Text.Json;
using Gatehouse.Proxy.Hosting;
using Gatehouse.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gatehouse.Tests.Tls;

/// <summary>
/// Over HTTPS an HTTP/1.1 request's sizes in the access log (and the byte metrics) are its decrypted
/// bytes, as nginx's $request_length and $bytes_sent are: not the TLS records on the socket, and for
/// the first request not the handshake and certificate chain either.
/// </summary>
public sealed class HttpsHostPlaintextSizeTests
{
    [Fact]
    public async Task RequestAndResponseSizesAreTheDecryptedBytes()
    {
        using var pki = new TestPki();
        await using var backend = await TestBackend.StartAsync(context =>
        {
            context.Response.ContentLength = 2000;
            return context.Response.Body.WriteAsync(new byte[2000]).AsTask();
        });
        var config = Configs.Of(
            [Configs.Host("sized.example.com", Configs.Prefix("/", "b")) with { Certificates = ["default/sized"] }],
            [Configs.Backend("b", backend.Endpoint)]) with
        {
            Certificates = [pki.Server("default/sized", ecdsa: false, "sized.example.com") with { Hosts = ["sized.example.com"] }],
        };

        var log = new MemoryStream();
        var responses = new List<string>();
        await using (var proxy = new ProxyServer(
            ProxyHarness.LocalOptions() with { HttpsPort = 0, AccessLog = Gatehouse.Proxy.Telemetry.AccessLogMode.Stdout, AccessLogOutput = log },
            NullLoggerFactory.Instance))
        {
            await proxy.StartAsync();
            proxy.ApplyConfig(config);
            await using var tls = await TlsProbe.ConnectAsync(proxy.HttpsPort, "sized.example.com");
            foreach (var path in new[] { "/first", "/second" })
            {
                var response = await tls.GetAsync("sized.example.com", path);
                Assert.StartsWith("HTTP/1.1 200", response, StringComparison.Ordinal);
                responses.Add(response);
            }
        }

        // Disposing the proxy wrote out the queued lines.
        var lines = Encoding.UTF8.GetString(log.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => JsonDocument.Parse(line).RootElement)
            .ToDictionary(entry => entry.GetProperty("path").GetString()!);
        for (var i = 0; i < 2; i++)
        {
            var path = i == 0 ? "/first" : "/second";
            var entry = lines[path];

            // Exactly what TlsProbe wrote and read, in plaintext. Counted on the socket, the first request
            // carried the ClientHello and the response the server's certificate: hundreds of bytes more.
            Assert.Equal(Encoding.ASCII.GetByteCount($"GET {path} HTTP/1.1\r\nHost: sized.example.com\r\n\r\n"), entry.GetProperty("request_size").GetInt64());
            Assert.Equal(Encoding.Latin1.GetByteCount(responses[i]), entry.GetProperty("response_size").GetInt64());
        }
    }
}
