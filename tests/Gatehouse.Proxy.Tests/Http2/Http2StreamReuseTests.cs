using System.Collections.Concurrent;
using System.Net;
using Gatehouse.Proxy.Hosting;
using Gatehouse.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Xunit;

namespace Gatehouse.Tests.Http2;

/// <summary>
/// A connection reuses its stream objects: what one request left behind (a body, headers, a status)
/// must not reach the next request that gets the same object.
/// </summary>
public sealed class Http2StreamReuseTests
{
    [Theory]
    [InlineData(Gatehouse.Proxy.Transport.ProxyTransport.Epoll)]
    [InlineData(Gatehouse.Proxy.Transport.ProxyTransport.Sockets)]
    public async Task RequestsAfterABodyOnTheSameConnectionHaveNoBody(Gatehouse.Proxy.Transport.ProxyTransport transport)
    {
        var seen = new ConcurrentQueue<string>();
        await using var backend = await TestBackend.StartAsync(async context =>
        {
            using var reader = new StreamReader(context.Request.Body);
            var body = await reader.ReadToEndAsync();
            seen.Enqueue($"{context.Request.Method} cl={context.Request.ContentLength?.ToString() ?? "-"} te={context.Request.Headers.TransferEncoding} body={body.Length}");
            context.Response.Headers["x-method"] = context.Request.Method;
            await context.Response.WriteAsync(context.Request.Method + ":" + body.Length);
        });
        await using var proxy = await ProxyHarness.StartAsync(
            Configs.CatchAll(Configs.Backend("b", backend.Endpoint)),
            ProxyHarness.LocalOptions(protocols: HttpProtocols.Http2) with { Http2Server = Http2Server.Gatehouse, Transport = transport });

        for (var round = 0; round < 3; round++)
        {
            using (var post = new HttpRequestMessage(HttpMethod.Post, "/upload")
            {
                Version = HttpVersion.Version20,
                VersionPolicy = HttpVersionPolicy.RequestVersionExact,
                Content = new StringContent(new string('x', 5000)),
            })
            using (var response = await proxy.Client.SendAsync(post))
            {
                Assert.Equal("POST:5000", await response.Content.ReadAsStringAsync());
            }

            for (var i = 0; i < 5; i++)
            {
                using var get = new HttpRequestMessage(HttpMethod.Get, "/page") { Version = HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
                using var response = await proxy.Client.SendAsync(get).WaitAsync(TimeSpan.FromSeconds(10));
                Assert.Equal(HttpVersion.Version20, response.Version);
                Assert.Equal("GET", response.Headers.GetValues("x-method").Single());
                Assert.Equal("GET:0", await response.Content.ReadAsStringAsync());
            }
        }

        Assert.Equal(18, seen.Count);
        Assert.All(seen.Where(s => s.StartsWith("GET", StringComparison.Ordinal)), s => Assert.Equal("GET cl=- te= body=0", s));
        Assert.All(seen.Where(s => s.StartsWith("POST", StringComparison.Ordinal)), s => Assert.EndsWith("body=5000", s));
    }

    [Fact]
    public async Task TheAccessLogNamesTheProtocol()
    {
        await using var backend = await TestBackend.StartAsync(context => context.Response.WriteAsync("ok"));
        var log = new MemoryStream();
        var proxy = await ProxyHarness.StartAsync(
            Configs.CatchAll(Configs.Backend("b", backend.Endpoint)),
            ProxyHarness.LocalOptions(protocols: HttpProtocols.Http2) with
            {
                Http2Server = Http2Server.Gatehouse,
                AccessLog = Gatehouse.Proxy.Telemetry.AccessLogMode.Stdout,
                AccessLogOutput = log,
            });
        await using (proxy)
        {
            using var get = new HttpRequestMessage(HttpMethod.Get, "/logged") { Version = HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
            using var response = await proxy.Client.SendAsync(get);
            Assert.Equal("ok", await response.Content.ReadAsStringAsync());
        }

        // Disposing the proxy wrote out the queued lines.
        var line = System.Text.Encoding.UTF8.GetString(log.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries).Single();
        var entry = System.Text.Json.JsonDocument.Parse(line).RootElement;
        Assert.Equal("/logged", entry.GetProperty("path").GetString());
        Assert.Equal("HTTP/2", entry.GetProperty("protocol").GetString());
    }
}
