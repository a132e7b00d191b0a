using System.Net;
using System.Net.Sockets;
using System.Text;
using Gatehouse.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Tests.Http2;

/// <summary>
/// A real Kestrel HTTP/1.1 server that answers with the Path, QueryString and Host its parser produced,
/// so the h2 helpers can be compared with what Kestrel does rather than with what we believe it does.
/// Requests go out as raw bytes over a TcpClient, so no client library normalises the target first.
/// </summary>
public sealed class KestrelHttp1Probe : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private TestBackend? _kestrel;

    public async Task InitializeAsync()
    {
        _kestrel = await TestBackend.StartAsync(context =>
        {
            // NUL separates the parts: Kestrel refuses it in a target, so it cannot occur inside them.
            var body = Encoding.UTF8.GetBytes(
                context.Request.Path.Value + "\0" + context.Request.QueryString.Value + "\0" + context.Request.Host.Value);
            context.Response.ContentLength = body.Length;
            return context.Response.Body.WriteAsync(body).AsTask();
        });
    }

    public async Task DisposeAsync()
    {
        if (_kestrel is not null)
        {
            await _kestrel.DisposeAsync();
        }
    }

    /// <summary>Sends "GET {target} HTTP/1.1" with Host {host}; every char of both is sent as its Latin-1 byte.</summary>
    public async Task<KestrelAnswer> SendAsync(string target, string host = "gatehouse.test")
    {
        using var client = new TcpClient();
        using var deadline = new CancellationTokenSource(Patience);
        await client.ConnectAsync(IPAddress.Loopback, _kestrel!.Port, deadline.Token);
        var stream = client.GetStream();
        await stream.WriteAsync(
            Encoding.Latin1.GetBytes($"GET {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"),
            deadline.Token);

        using var received = new MemoryStream();
        await stream.CopyToAsync(received, deadline.Token);
        var response = received.ToArray();

        var headerEnd = response.AsSpan().IndexOf("\r\n\r\n"u8);
        Assert.True(headerEnd >= 12, "no complete response from Kestrel for " + target);
        var status = int.Parse(Encoding.ASCII.GetString(response, 9, 3), System.Globalization.CultureInfo.InvariantCulture);
        if (status != 200)
        {
            return new KestrelAnswer(status, null, null, null);
        }

        var parts = Encoding.UTF8.GetString(response.AsSpan(headerEnd + 4)).Split('\0');
        Assert.Equal(3, parts.Length);
        return new KestrelAnswer(status, parts[0], parts[1], parts[2]);
    }
}

/// <summary>Kestrel's status, and for a 200 what its parser made of the request.</summary>
public sealed record KestrelAnswer(int Status, string? Path, string? QueryString, string? Host);
