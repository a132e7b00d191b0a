using System.Net;
using Gatehouse.Proxy.Hosting;
using Gatehouse.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;
using Xunit;
using Xunit.Abstractions;

namespace Gatehouse.Tests.Scratch;

public sealed class H2Smoke(ITestOutputHelper output)
{
    [Fact]
    public async Task Smoke()
    {
        await using var backend = await TestBackend.StartAsync(async context =>
        {
            await context.Response.WriteAsync("hello " + context.Request.Path);
        });
        var logger = new CapturingLogger();
        var factory = LoggerFactory.Create(b => b.AddProvider(new P(logger)).SetMinimumLevel(LogLevel.Trace));
        var server = new ProxyServer(ProxyHarness.LocalOptions(protocols: HttpProtocols.Http2), factory);
        await server.StartAsync();
        server.ApplyConfig(Configs.CatchAll(Configs.Backend("b", backend.Endpoint)));
        try
        {
            using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = new Uri($"http://127.0.0.1:{server.HttpPort}") };
            using var request = new HttpRequestMessage(HttpMethod.Get, "/x") { Version = HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
            using var response = await client.SendAsync(request);
            output.WriteLine($"{response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
        finally
        {
            foreach (var line in logger.Lines) output.WriteLine($"{line.Level}: {line.Message}");
            await server.DisposeAsync();
        }
    }

    private sealed class P(CapturingLogger logger) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new L(logger);
        public void Dispose() { }
    }

    private sealed class L(CapturingLogger inner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            => inner.Lines.Enqueue((logLevel, formatter(state, exception) + " " + exception));
    }
}
