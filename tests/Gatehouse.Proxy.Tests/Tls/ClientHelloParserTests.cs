using System.Buffers;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Gatehouse.Proxy.Tls;

namespace Gatehouse.Tests.Tls;

/// <summary>
/// The parser and the selection policy on ClientHello bytes captured from real clients: openssl
/// s_client connects to a plain TCP listener that records the first TLS record and hangs up.
/// </summary>
public sealed class ClientHelloParserTests
{
    private static async Task<byte[]> CaptureAsync(params string[] openSslArguments)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var start = new ProcessStartInfo("openssl") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "s_client", "-connect", $"127.0.0.1:{port}" }.Concat(openSslArguments))
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var client = await listener.AcceptTcpClientAsync(timeout.Token);
        var stream = client.GetStream();
        var header = new byte[5];
        await stream.ReadExactlyAsync(header, timeout.Token);
        var body = new byte[(header[3] << 8) | header[4]];
        await stream.ReadExactlyAsync(body, timeout.Token);
        client.Close();
        await process.WaitForExitAsync(timeout.Token);
        return [.. header, .. body];
    }

    [Fact]
    public async Task ParsesServerNameVersionsSignatureAlgorithmsAndSuitesFromOpenSsl()
    {
        var bytes = await CaptureAsync("-servername", "App.Example.com", "-tls1_3", "-sigalgs", "ecdsa_secp256r1_sha256:rsa_pss_rsae_sha256");

        Assert.True(ClientHelloParser.TryParse(new ReadOnlySequence<byte>(bytes), out var hello));
        Assert.Equal("app.example.com", hello!.ServerName);
        Assert.True(hello.OffersTls13);
        Assert.Equal(new ushort[] { 0x0403, 0x0804 }, hello.SignatureAlgorithms.ToArray());
        Assert.Contains((ushort)0x1301, hello.CipherSuites);
        Assert.True(CertificateSelectionPolicy.CanUseEcdsa(hello, tls13Allowed: true));
        Assert.False(CertificateSelectionPolicy.CanUseEcdsa(hello, tls13Allowed: false));
    }

    [Fact]
    public async Task RsaOnlySignatureAlgorithmsRuleOutEcdsa()
    {
        var bytes = await CaptureAsync("-servername", "a.example.com", "-sigalgs", "rsa_pss_rsae_sha256");

        Assert.True(ClientHelloParser.TryParse(bytes, out var hello));
        Assert.False(CertificateSelectionPolicy.CanUseEcdsa(hello!, tls13Allowed: true));
    }

    [Fact]
    public async Task Tls12SuitesDecideWithoutTls13()
    {
        var rsaSuites = await CaptureAsync("-noservername", "-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256");
        var ecdsaSuites = await CaptureAsync("-noservername", "-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256");

        Assert.True(ClientHelloParser.TryParse(rsaSuites, out var rsaHello));
        Assert.Null(rsaHello!.ServerName);
        Assert.False(rsaHello.OffersTls13);
        Assert.False(CertificateSelectionPolicy.CanUseEcdsa(rsaHello, tls13Allowed: true));
        Assert.True(ClientHelloParser.TryParse(ecdsaSuites, out var ecdsaHello));
        Assert.Contains((ushort)0xC02B, ecdsaHello!.CipherSuites);
        Assert.True(CertificateSelectionPolicy.CanUseEcdsa(ecdsaHello, tls13Allowed: true));
    }

    [Fact]
    public async Task TruncatedOrForeignBytesAreRefusedWithoutThrowing()
    {
        var bytes = await CaptureAsync("-servername", "a.example.com");
        for (var length = 0; length < bytes.Length; length += 7)
        {
            // Every prefix either parses (extensions cut at a boundary never happen: lengths are checked) or is refused.
            Assert.False(ClientHelloParser.TryParse(bytes.AsSpan(0, length), out _));
        }

        Assert.False(ClientHelloParser.TryParse("GET / HTTP/1.1\r\nHost: x\r\n\r\n"u8, out _));
        var corrupted = (byte[])bytes.Clone();
        corrupted[5] = 2; // ServerHello, not ClientHello
        Assert.False(ClientHelloParser.TryParse(corrupted, out _));
    }
}
