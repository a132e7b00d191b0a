using System.Net;
using Gatehouse.Model;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Tests.Infrastructure;

/// <summary>A real Kestrel server on 127.0.0.1 and a free port, running one RequestDelegate.</summary>
internal sealed class TestBackend : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TestBackend(WebApplication app, int port)
    {
        _app = app;
        Port = port;
    }

    public int Port { get; }

    public EndpointConfig Endpoint => new("127.0.0.1", Port);

    public static Task<TestBackend> StartAsync(
        RequestDelegate handler,
        HttpProtocols protocols = HttpProtocols.Http1,
        bool webSockets = false)
        => StartAsync(handler, protocols, webSockets, port: 0);

    /// <summary>Answers every request with <paramref name="text"/> on a given port (a "revived" endpoint).</summary>
    public static Task<TestBackend> StartOnPortAsync(int port, string text)
        => StartAsync(context => context.Response.WriteAsync(text), HttpProtocols.Http1, webSockets: false, port);

    private static async Task<TestBackend> StartAsync(
        RequestDelegate handler,
        HttpProtocols protocols,
        bool webSockets,
        int port)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = null;
            k.Listen(IPAddress.Loopback, port, o => o.Protocols = protocols);
        });
        var app = builder.Build();
        if (webSockets)
        {
            app.UseWebSockets();
        }

        app.Run(handler);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new TestBackend(app, new Uri(address).Port);
    }

    /// <summary>Answers every request with <paramref name="text"/>.</summary>
    public static Task<TestBackend> StartTextAsync(string text)
        => StartAsync(context => context.Response.WriteAsync(text));

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
