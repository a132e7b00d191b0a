using Gatehouse.Model;
using Gatehouse.Tests.Infrastructure;

namespace Gatehouse.Tests.Tls;

/// <summary>
/// One host with an ECDSA and an RSA certificate: openssl clients with different offers must get the
/// certificate the ClientHello allows, which proves the proxy parsed the ClientHello itself.
/// </summary>
public sealed class DualCertificateTests : IAsyncLifetime
{
    private readonly TestPki _pki = new();
    private TestBackend? _backend;
    private Gatehouse.Proxy.Hosting.ProxyServer? _proxy;

    private int Port => _proxy!.HttpsPort;

    public async Task InitializeAsync()
    {
        _backend = await TestBackend.StartTextAsync("ok");
        var ecdsa = _pki.Server("default/dual-ecdsa", ecdsa: true, "dual.example.com") with { Hosts = ["dual.example.com"] };
        var rsa = _pki.Server("default/dual-rsa", ecdsa: false, "dual.example.com") with { Hosts = ["dual.example.com"] };
        var config = Configs.Of(
            [Configs.Host("dual.example.com", Configs.Prefix("/", "b")) with { Certificate = "default/dual-ecdsa", Certificates = ["default/dual-ecdsa", "default/dual-rsa"] }],
            [Configs.Backend("b", _backend.Endpoint)]) with
        {
            Certificates = [ecdsa, rsa],
        };
        _proxy = await TlsProxy.StartAsync(config);
    }

    public async Task DisposeAsync()
    {
        await _proxy!.DisposeAsync();
        await _backend!.DisposeAsync();
        _pki.Dispose();
    }

    [Fact]
    public async Task DefaultTls13ClientGetsEcdsa()
    {
        var output = await TlsProbe.OpenSslAsync(Port, "-servername", "dual.example.com", "-tls1_3");
        Assert.Equal("default.dual-ecdsa", TlsProbe.PeerSubjectCn(output));
    }

    [Fact]
    public async Task HandshakesAreCountedByProtocolAndKeyTypeAndExpiryIsExported()
    {
        await TlsProbe.OpenSslAsync(Port, "-servername", "dual.example.com", "-tls1_3");
        await TlsProbe.OpenSslAsync(Port, "-servername", "dual.example.com", "-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256");
        await TlsProbe.OpenSslAsync(Port, "-servername", "dual.example.com", "-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256");

        using var client = new HttpClient();
        var metrics = await client.GetStringAsync(new Uri($"http://127.0.0.1:{_proxy!.AdminPort}/metrics"));

        Assert.Contains("gatehouse_tls_handshakes_total{key_type=\"ecdsa\",protocol=\"TLSv1.3\"} 1", metrics, StringComparison.Ordinal);
        Assert.Contains("gatehouse_tls_handshakes_total{key_type=\"rsa\",protocol=\"TLSv1.2\"} 2", metrics, StringComparison.Ordinal);
        var expiry = metrics.Split('\n').Single(l => l.StartsWith("gatehouse_tls_certificate_expiry_timestamp_seconds{host=\"dual.example.com\"}", StringComparison.Ordinal));
        var notAfter = double.Parse(expiry[(expiry.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(notAfter, DateTimeOffset.UtcNow.ToUnixTimeSeconds(), DateTimeOffset.UtcNow.AddYears(20).ToUnixTimeSeconds());
    }

    [Fact]
    public async Task Tls13ClientOfferingOnlyRsaPssGetsRsa()
    {
        var output = await TlsProbe.OpenSslAsync(Port, "-servername", "dual.example.com", "-sigalgs", "rsa_pss_rsae_sha256");
        Assert.Equal("default.dual-rsa", TlsProbe.PeerSubjectCn(output));
    }

    [Fact]
    public async Task Tls12ClientWithEcdheRsaSuitesGetsRsa()
    {
        var output = await TlsProbe.OpenSslAsync(Port, "-servername", "dual.example.com", "-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384");
        Assert.Equal("default.dual-rsa", TlsProbe.PeerSubjectCn(output));
    }

    [Fact]
    public async Task Tls12ClientWithEcdheEcdsaSuitesGetsEcdsa()
    {
        var output = await TlsProbe.OpenSslAsync(Port, "-servername", "dual.example.com", "-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256");
        Assert.Equal("default.dual-ecdsa", TlsProbe.PeerSubjectCn(output));
    }

    [Fact]
    public async Task DotNetClientCompletesAHandshakeAndGetsEcdsa()
    {
        var certificate = await TlsProbe.ServerCertificateAsync(Port, "dual.example.com");
        Assert.Equal("CN=default.dual-ecdsa", certificate.Subject);
    }
}
