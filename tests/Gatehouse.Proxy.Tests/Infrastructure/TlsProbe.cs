using System.Diagnostics;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Gatehouse.Tests.Infrastructure;

/// <summary>Real TLS clients against 127.0.0.1: a .NET SslStream and the openssl command line.</summary>
internal static class TlsProbe
{
    /// <summary>Handshakes with <paramref name="serverName"/> as SNI (none when null) and returns the server's leaf.</summary>
    public static async Task<X509Certificate2> ServerCertificateAsync(int port, string? serverName, SslProtocols protocols = SslProtocols.None)
    {
        await using var connection = await ConnectAsync(port, serverName, protocols);
        return X509CertificateLoader.LoadCertificate(connection.Stream.RemoteCertificate!.GetRawCertData());
    }

    public static async Task<TlsConnection> ConnectAsync(int port, string? serverName, SslProtocols protocols = SslProtocols.None, X509Certificate2? clientCertificate = null)
    {
        var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", port);
        var ssl = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false);
        var options = new SslClientAuthenticationOptions
        {
            // SslStream sends no SNI for an IP literal, so "no SNI" is TargetHost 127.0.0.1.
            TargetHost = serverName ?? "127.0.0.1",
            EnabledSslProtocols = protocols,
            RemoteCertificateValidationCallback = static (_, _, _, _) => true,
            ApplicationProtocols = [SslApplicationProtocol.Http11],
        };
        if (clientCertificate is not null)
        {
            options.ClientCertificates = [clientCertificate];
            options.LocalCertificateSelectionCallback = (_, _, _, _, _) => clientCertificate;
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await ssl.AuthenticateAsClientAsync(options, timeout.Token);
        return new TlsConnection(tcp, ssl);
    }

    /// <summary>Runs openssl s_client and returns its stdout and stderr (the handshake summary).</summary>
    public static async Task<string> OpenSslAsync(int port, params string[] arguments)
    {
        var start = new ProcessStartInfo("openssl")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in new[] { "s_client", "-connect", $"127.0.0.1:{port}" }.Concat(arguments))
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return await stdout + "\n" + await stderr;
    }

    /// <summary>The "Peer signature type" / subject lines s_client prints, reduced to the leaf's CN.</summary>
    public static string? PeerSubjectCn(string openSslOutput)
    {
        foreach (var line in openSslOutput.Split('\n'))
        {
            // "subject=CN=ecdsa.example.com" (OpenSSL 3) or "subject=/CN=..." (1.1).
            var trimmed = line.Trim();
            if (trimmed.StartsWith("subject=", StringComparison.Ordinal))
            {
                var cn = trimmed.IndexOf("CN", StringComparison.Ordinal);
                return cn < 0 ? trimmed : trimmed[(cn + 2)..].TrimStart(' ', '=');
            }
        }

        return null;
    }

    /// <summary>The server's key type as s_client reports it ("Peer signature type" / "Server public key").</summary>
    public static string ServerKeyType(string openSslOutput)
    {
        foreach (var line in openSslOutput.Split('\n'))
        {
            if (line.Contains("Server public key is", StringComparison.Ordinal) || line.Contains("Peer public key", StringComparison.Ordinal))
            {
                return line.Trim();
            }
        }

        return "";
    }

    public static async Task<string> GetAsync(this TlsConnection connection, string host, string path)
    {
        var request = Encoding.ASCII.GetBytes($"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n");
        await connection.Stream.WriteAsync(request);
        await connection.Stream.FlushAsync();
        return await ReadResponseAsync(connection.Stream);
    }

    private static async Task<string> ReadResponseAsync(Stream stream)
    {
        // Enough of HTTP/1.1 for test responses: headers, then Content-Length bytes or chunked until 0.
        var buffer = new List<byte>();
        var chunk = new byte[4096];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            var text = Encoding.ASCII.GetString(buffer.ToArray());
            var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            if (end >= 0)
            {
                var headers = text[..end];
                var body = text[(end + 4)..];
                var lengthLine = headers.Split("\r\n").FirstOrDefault(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase));
                if (lengthLine is not null && body.Length >= int.Parse(lengthLine.Split(':')[1].Trim(), System.Globalization.CultureInfo.InvariantCulture))
                {
                    return text;
                }

                if (headers.Contains("chunked", StringComparison.OrdinalIgnoreCase) && body.EndsWith("0\r\n\r\n", StringComparison.Ordinal))
                {
                    return text;
                }
            }

            var read = await stream.ReadAsync(chunk, timeout.Token);
            if (read == 0)
            {
                return text;
            }

            buffer.AddRange(chunk.AsSpan(0, read));
        }
    }
}

/// <summary>An open TLS connection (SslStream over TCP) kept across config swaps by tests.</summary>
internal sealed class TlsConnection(TcpClient tcp, SslStream stream) : IAsyncDisposable
{
    public SslStream Stream { get; } = stream;

    public async ValueTask DisposeAsync()
    {
        await Stream.DisposeAsync();
        tcp.Dispose();
    }
}
