using System.Net;
using System.Net.Sockets;
using System.Text;
using Gatehouse.Model;

namespace Gatehouse.Tests.Infrastructure;

/// <summary>
/// A TCP server that reads one request head per connection and replies with fixed bytes, for
/// responses Kestrel would not produce (hop-by-hop headers of our choosing, non-ASCII values: each
/// char of the response is sent as its Latin-1 byte).
/// </summary>
internal sealed class RawBackend : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    private RawBackend(TcpListener listener, byte[] response)
    {
        _listener = listener;
        _loop = AcceptLoopAsync(response);
    }

    private int _accepted;

    /// <summary>Connections accepted so far: a new one per request means the proxy did not reuse a connection.</summary>
    public int Accepted => Volatile.Read(ref _accepted);

    /// <summary>Request heads received, in order.</summary>
    public System.Collections.Concurrent.ConcurrentQueue<string> Received { get; } = new();

    public EndpointConfig Endpoint => new("127.0.0.1", ((IPEndPoint)_listener.LocalEndpoint).Port);

    public static Task<RawBackend> StartAsync(string response)
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return Task.FromResult(new RawBackend(listener, Encoding.Latin1.GetBytes(response)));
    }

    private async Task AcceptLoopAsync(byte[] response)
    {
        try
        {
            while (true)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                Interlocked.Increment(ref _accepted);
                _ = ServeAsync(client, response);
            }
        }
        catch (Exception ex) when (_stop.IsCancellationRequested
            && ex is OperationCanceledException or InvalidOperationException or SocketException or ObjectDisposedException)
        {
            // Disposal stops the listener; an accept that was already on its way back fails instead of cancelling.
        }
    }

    private async Task ServeAsync(TcpClient client, byte[] response)
    {
        using (client)
        {
            var stream = client.GetStream();
            var buffer = new byte[8192];
            var seen = new StringBuilder();
            try
            {
                while (true)
                {
                    // One request per connection: read its head, answer, then close.
                    while (!seen.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
                    {
                        var read = await stream.ReadAsync(buffer, _stop.Token);
                        if (read == 0)
                        {
                            return;
                        }

                        seen.Append(Encoding.Latin1.GetString(buffer, 0, read));
                    }

                    Received.Enqueue(seen.ToString());
                    await stream.WriteAsync(response, _stop.Token);
                    seen.Clear();
                }
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException)
            {
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _loop;
        _stop.Dispose();
    }
}
