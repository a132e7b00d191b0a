using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Tests.EndToEnd.Infrastructure;

/// <summary>
/// An OTLP/HTTP receiver on 127.0.0.1 that records each export's path, content type and body size
/// (the protobuf is not decoded) and answers 200.
/// </summary>
internal sealed class FakeOtlpCollector : IAsyncDisposable
{
    private readonly WebApplication _app;

    private FakeOtlpCollector(WebApplication app, int port)
    {
        _app = app;
        Url = $"http://127.0.0.1:{port}";
    }

    public string Url { get; }

    public ConcurrentQueue<(string Path, string? ContentType, long Length)> Received { get; } = new();

    public static async Task<FakeOtlpCollector> StartAsync()
    {
        var port = FreePort.Next();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port));
        var app = builder.Build();
        var collector = new FakeOtlpCollector(app, port);
        app.Run(async context =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            collector.Received.Enqueue((context.Request.Path.Value ?? "", context.Request.ContentType, body.Length));
            context.Response.StatusCode = StatusCodes.Status200OK;
        });
        await app.StartAsync();
        return collector;
    }

    /// <summary>Sends SIGTERM (a graceful stop, which flushes the exporters) and waits for a clean exit.</summary>
    public static async Task StopGracefullyAsync(ChildProcess process)
    {
        using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString()]))
        {
            await kill.WaitForExitAsync();
        }

        Assert.Equal(0, await process.WaitForExitAsync(GatehouseStack.Patience));
    }

    public void AssertReceivedProtobuf(string path)
        => Assert.Contains(Received, r => r.Path == path && r.ContentType == "application/x-protobuf" && r.Length > 0);

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
