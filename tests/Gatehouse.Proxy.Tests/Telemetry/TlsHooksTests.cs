using System.Security.Authentication;
using Gatehouse.Tests.Infrastructure;

namespace Gatehouse.Tests.Telemetry;

/// <summary>
/// The hooks TLS termination calls (it is built elsewhere): handshakes by protocol and key type, and
/// the expiry of the certificates served, as they appear on /metrics.
/// </summary>
public sealed class TlsHooksTests
{
    [Fact]
    public async Task Handshakes_and_certificate_expiry_are_exposed_per_protocol_key_type_and_host()
    {
        await using var proxy = await ProxyHarness.StartAsync();
        var metrics = proxy.Server.Metrics;
        metrics.TlsHandshakeCompleted(SslProtocols.Tls13, "ecdsa");
        metrics.TlsHandshakeCompleted(SslProtocols.Tls13, "ecdsa");
        metrics.TlsHandshakeCompleted(SslProtocols.Tls12, "rsa");

        var certificates = new List<(string, DateTimeOffset)> { ("shop.example.com", DateTimeOffset.FromUnixTimeSeconds(1_900_000_000)) };
        metrics.ObserveCertificates(() => certificates);

        var text = await proxy.AdminClient.GetStringAsync("/metrics");
        Assert.Contains("gatehouse_tls_handshakes_total{key_type=\"ecdsa\",protocol=\"TLSv1.3\"} 2\n", text, StringComparison.Ordinal);
        Assert.Contains("gatehouse_tls_handshakes_total{key_type=\"rsa\",protocol=\"TLSv1.2\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("gatehouse_tls_certificate_expiry_timestamp_seconds{host=\"shop.example.com\"} 1900000000\n", text, StringComparison.Ordinal);

        // Read at every scrape: a renewed certificate shows its new expiry without re-registering.
        certificates[0] = ("shop.example.com", DateTimeOffset.FromUnixTimeSeconds(1_950_000_000));
        text = await proxy.AdminClient.GetStringAsync("/metrics");
        Assert.Contains("gatehouse_tls_certificate_expiry_timestamp_seconds{host=\"shop.example.com\"} 1950000000\n", text, StringComparison.Ordinal);
    }
}
