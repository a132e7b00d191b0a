using System.Net;
using System.Net.Sockets;
using System.Text;
using Gatehouse.Tests.Infrastructure;

namespace Gatehouse.Tests.Http1;

/// <summary>
/// A real Kestrel HTTP/1.1 server, configured as the proxy configures it (bare LF refused), that answers
/// every request it accepts with what its parser made of it: method, path, query, host and every header.
/// Heads go out as raw bytes on 127.0.0.1, so nothing normalises them on the way.
/// </summary>
public sealed class KestrelHeadProbe : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private TestBackend? _kestrel;

    public async Task InitializeAsync()
    {
        // Read by Kestrel's parser when the server starts; the proxy sets the same switch.
        AppContext.SetSwitch("Microsoft.AspNetCore.Server.Kestrel.DisableHttp1LineFeedTerminators", true);
        _kestrel = await TestBackend.StartAsync(context =>
        {
            // NUL separates the parts and SOH a name from its value: neither can occur in an accepted head.
            var text = new StringBuilder()
                .Append(context.Request.Method).Append('\0')
                .Append(context.Request.Path.Value).Append('\0')
                .Append(context.Request.QueryString.Value).Append('\0')
                .Append(context.Request.Host.Value);
            foreach (var (name, value) in context.Request.Headers)
            {
                text.Append('\0').Append(name).Append('\u0001').Append(value.ToString());
            }

            // In a response header, so a HEAD request (which gets no body) is reported as well.
            context.Response.Headers["X-Parsed"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(text.ToString()));
            context.Response.ContentLength = 0;
            return Task.CompletedTask;
        });
    }

    public async Task DisposeAsync()
    {
        if (_kestrel is not null)
        {
            await _kestrel.DisposeAsync();
        }
    }

    /// <summary>Sends the head (each char as its Latin-1 byte) and reads Kestrel's one answer.</summary>
    public async Task<KestrelHeadAnswer> SendAsync(string head)
    {
        using var client = new TcpClient();
        using var deadline = new CancellationTokenSource(Patience);
        await client.ConnectAsync(IPAddress.Loopback, _kestrel!.Port, deadline.Token);
        var stream = client.GetStream();
        try
        {
            await stream.WriteAsync(Encoding.Latin1.GetBytes(head), deadline.Token);
        }
        catch (IOException)
        {
            // Kestrel may refuse and close before it has read everything.
        }

        // One response: its head, then as many bytes as its Content-Length says (Kestrel always sends one here).
        var response = await ReadResponseAsync(stream, deadline.Token);
        var headerEnd = response.AsSpan().IndexOf("\r\n\r\n"u8);
        Assert.True(headerEnd >= 12, "no complete response from Kestrel for " + head);
        var status = int.Parse(Encoding.ASCII.GetString(response, 9, 3), System.Globalization.CultureInfo.InvariantCulture);
        if (status != 200)
        {
            return new KestrelHeadAnswer(status, null, null, null, null, []);
        }

        var parsed = Encoding.ASCII.GetString(response, 0, headerEnd).Split("\r\n").Single(l => l.StartsWith("X-Parsed: ", StringComparison.Ordinal));
        var parts = Encoding.UTF8.GetString(Convert.FromBase64String(parsed[10..])).Split('\0');
        var headers = parts.Skip(4).Select(p => p.Split('\u0001')).Select(p => (p[0], p[1])).ToList();
        return new KestrelHeadAnswer(status, parts[0], parts[1], parts[2], parts[3], headers);
    }

    private static async Task<byte[]> ReadResponseAsync(NetworkStream stream, CancellationToken cancellation)
    {
        var received = new List<byte>();
        var buffer = new byte[16 * 1024];
        var expected = -1;
        while (expected < 0 || received.Count < expected)
        {
            int read;
            try
            {
                read = await stream.ReadAsync(buffer, cancellation);
            }
            catch (IOException)
            {
                break;
            }

            if (read == 0)
            {
                break;
            }

            received.AddRange(buffer.AsSpan(0, read));
            var text = Encoding.Latin1.GetString([.. received]);
            var headerEnd = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            if (expected < 0 && headerEnd >= 0)
            {
                var length = 0;
                foreach (var line in text[..headerEnd].Split("\r\n"))
                {
                    if (line.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))
                    {
                        length = int.Parse(line.AsSpan(15), System.Globalization.CultureInfo.InvariantCulture);
                    }
                }

                expected = headerEnd + 4 + length;
            }
        }

        return [.. received];
    }

}

/// <summary>Kestrel's status and, for a 200, what its parser read.</summary>
public sealed record KestrelHeadAnswer(
    int Status,
    string? Method,
    string? Path,
    string? QueryString,
    string? Host,
    IReadOnlyList<(string Name, string Value)> Headers);
