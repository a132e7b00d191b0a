using System.Net;
using System.Net.Sockets;
using System.Text;
using Gatehouse.Model;

namespace Gatehouse.Tests.Infrastructure;

/// <summary>
/// A TCP server that answers one request per connection and then closes it without saying so
/// (no Connection: close): what a backend's keep-alive timeout looks like to a pooled client.
/// </summary>
internal sealed class ClosingBackend : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private int _accepted;

    private ClosingBackend(TcpListener listener, byte[] response)
    {
        _listener = listener;
        _loop = AcceptLoopAsync(response);
    }

    public int Accepted => Volatile.Read(ref _accepted);

    public EndpointConfig Endpoint => new("127.0.0.1", ((IPEndPoint)_listener.LocalEndpoint).Port);

    public static Task<ClosingBackend> StartAsync(string response)
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return Task.FromResult(new ClosingBackend(listener, Encoding.ASCII.GetBytes(response)));
    }

    private async Task AcceptLoopAsync(byte[] response)
    {
        try
        {
            while (true)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                Interlocked.Increment(ref _accepted);
                using (client)
                {
                    var stream = client.GetStream();
                    var buffer = new byte[8192];
                    var seen = new StringBuilder();
                    while (!seen.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
                    {
                        var read = await stream.ReadAsync(buffer, _stop.Token);
                        if (read == 0)
                        {
                            break;
                        }

                        seen.Append(Encoding.ASCII.GetString(buffer, 0, read));
                    }

                    await stream.WriteAsync(response, _stop.Token);
                }
            }
        }
        catch (Exception ex) when (_stop.IsCancellationRequested
            && ex is OperationCanceledException or InvalidOperationException or SocketException or ObjectDisposedException or IOException)
        {
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
