using System.Net;
using Gatehouse.Model;
using Gatehouse.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Tests.Tls;

/// <summary>Real handshakes against the HTTPS listener: which certificate each SNI name gets, and rotation.</summary>
public sealed class SniCertificateTests
{
    private static GatehouseConfig Config(TestBackend backend, CertificateConfig[] certificates, string? defaultCertificate = null, long generation = 1)
        => Configs.Of(
            [
                Configs.Host("app.example.com", Configs.Prefix("/", "b")) with { Certificate = "default/app", Certificates = ["default/app"] },
                Configs.Host("", Configs.Prefix("/", "b")),
            ],
            [Configs.Backend("b", backend.Endpoint)],
            generation: generation) with
        {
            Certificates = [.. certificates],
            DefaultCertificate = defaultCertificate,
        };

    [Fact]
    public async Task EachServerNameGetsExactThenWildcardSanThenDefaultCertificate()
    {
        using var pki = new TestPki();
        await using var backend = await TestBackend.StartTextAsync("ok");
        var app = pki.Server("default/app", ecdsa: false, "app.example.com") with { Hosts = ["app.example.com"] };
        var wildcard = pki.Server("default/wild", ecdsa: false, "*.wild.example.com") with { Hosts = [] };
        var fallback = pki.Server("default/fallback", ecdsa: false, "fallback.example.com");
        await using var proxy = await TlsProxy.StartAsync(Config(backend, [app, wildcard, fallback], "default/fallback"));

        Assert.Equal("CN=default.app", (await TlsProbe.ServerCertificateAsync(proxy.HttpsPort, "app.example.com")).Subject);
        Assert.Equal("CN=default.wild", (await TlsProbe.ServerCertificateAsync(proxy.HttpsPort, "x.wild.example.com")).Subject);

        // A wildcard covers one label only.
        Assert.Equal("CN=default.fallback", (await TlsProbe.ServerCertificateAsync(proxy.HttpsPort, "a.b.wild.example.com")).Subject);
        Assert.Equal("CN=default.fallback", (await TlsProbe.ServerCertificateAsync(proxy.HttpsPort, "other.example.com")).Subject);
        Assert.Equal("CN=default.fallback", (await TlsProbe.ServerCertificateAsync(proxy.HttpsPort, serverName: null)).Subject);

        // The same through openssl, without and with SNI.
        var noSni = await TlsProbe.OpenSslAsync(proxy.HttpsPort, "-noservername");
        Assert.Equal("default.fallback", TlsProbe.PeerSubjectCn(noSni));
        var withSni = await TlsProbe.OpenSslAsync(proxy.HttpsPort, "-servername", "app.example.com");
        Assert.Equal("default.app", TlsProbe.PeerSubjectCn(withSni));
    }

    [Fact]
    public async Task WithoutDefaultCertificateTheSelfSignedOneIsServedAndRequestsAreProxied()
    {
        using var pki = new TestPki();
        await using var backend = await TestBackend.StartTextAsync("through tls");
        await using var proxy = await TlsProxy.StartAsync(Config(backend, []));

        var certificate = await TlsProbe.ServerCertificateAsync(proxy.HttpsPort, "unknown.example.com");
        Assert.Equal("CN=Gatehouse Default Certificate", certificate.Subject);

        using var client = TlsProxy.HttpsClient(proxy);
        using var response = await client.GetAsync("/hello");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("through tls", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task HttpsListenerOffersH2ByAlpn()
    {
        await using var backend = await TestBackend.StartAsync(context => context.Response.WriteAsync(context.Request.Protocol));
        await using var proxy = await TlsProxy.StartAsync(Config(backend, []));
        using var client = TlsProxy.HttpsClient(proxy, HttpVersion.Version20);

        using var response = await client.GetAsync("/");

        Assert.Equal(HttpVersion.Version20, response.Version);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task ReplacedCertificateIsServedOnNewConnectionsWhileAnOpenConnectionKeepsWorking()
    {
        using var pki = new TestPki();
        await using var backend = await TestBackend.StartTextAsync("ok");
        var first = pki.Server("default/app", ecdsa: false, "app.example.com") with { Hosts = ["app.example.com"] };
        await using var proxy = await TlsProxy.StartAsync(Config(backend, [first]));
        var before = await TlsProbe.ServerCertificateAsync(proxy.HttpsPort, "app.example.com");

        await using var open = await TlsProbe.ConnectAsync(proxy.HttpsPort, "app.example.com");
        Assert.StartsWith("HTTP/1.1 200", await open.GetAsync("app.example.com", "/before"), StringComparison.Ordinal);

        // Same Secret name, new content: what a renewal looks like.
        var renewed = pki.Server("default/app", ecdsa: false, "app.example.com") with { Hosts = ["app.example.com"] };
        proxy.ApplyConfig(Config(backend, [renewed], generation: 2));

        var after = await TlsProbe.ServerCertificateAsync(proxy.HttpsPort, "app.example.com");
        Assert.NotEqual(before.Thumbprint, after.Thumbprint);
        Assert.Equal(System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(renewed.CertificatePem).Thumbprint, after.Thumbprint);

        // The connection opened before the swap still serves requests with its original certificate.
        Assert.StartsWith("HTTP/1.1 200", await open.GetAsync("app.example.com", "/after"), StringComparison.Ordinal);
        Assert.Equal(before.Thumbprint, new System.Security.Cryptography.X509Certificates.X509Certificate2(open.Stream.RemoteCertificate!).Thumbprint);
    }

    [Fact]
    public async Task UnchangedCertificatesAreReusedAcrossGenerationsAndABrokenOneFallsBackToTheDefault()
    {
        using var pki = new TestPki();
        await using var backend = await TestBackend.StartTextAsync("ok");
        var app = pki.Server("default/app", ecdsa: false, "app.example.com") with { Hosts = ["app.example.com"] };
        await using var proxy = await TlsProxy.StartAsync(Config(backend, [app]));
        var builder = proxy.State.TlsBuilder!;
        var loaded = builder.CertificatesLoaded;
        var context = proxy.State.CurrentTls.Resolve("app.example.com").Certificates[0].Context;

        proxy.ApplyConfig(Config(backend, [app], generation: 2));

        Assert.Equal(loaded, builder.CertificatesLoaded);
        Assert.Same(context, proxy.State.CurrentTls.Resolve("app.example.com").Certificates[0].Context);

        // A key that does not match the certificate: that host falls back to the default, the proxy keeps serving.
        var other = pki.Server("default/other", ecdsa: false, "app.example.com");
        var broken = app with { PrivateKeyPem = other.PrivateKeyPem };
        proxy.ApplyConfig(Config(backend, [broken], generation: 3));
        Assert.Equal("CN=Gatehouse Default Certificate", (await TlsProbe.ServerCertificateAsync(proxy.HttpsPort, "app.example.com")).Subject);
        Assert.Equal(3, proxy.State.Current!.Generation);
    }

    [Fact]
    public async Task SslProtocolsPerHostRefuseOtherVersions()
    {
        using var pki = new TestPki();
        await using var backend = await TestBackend.StartTextAsync("ok");
        var config = Configs.Of(
            [
                Configs.Host("modern.example.com", Configs.Prefix("/", "b")) with { Certificates = ["default/modern"], Tls = new TlsPolicyConfig { Protocols = ["TLSv1.3"] } },
                Configs.Host("any.example.com", Configs.Prefix("/", "b")) with { Certificates = ["default/any"] },
            ],
            [Configs.Backend("b", backend.Endpoint)]) with
        {
            Certificates =
            [
                pki.Server("default/modern", ecdsa: false, "modern.example.com") with { Hosts = ["modern.example.com"] },
                pki.Server("default/any", ecdsa: false, "any.example.com") with { Hosts = ["any.example.com"] },
            ],
        };
        await using var proxy = await TlsProxy.StartAsync(config);

        await Assert.ThrowsAnyAsync<Exception>(() => TlsProbe.ServerCertificateAsync(proxy.HttpsPort, "modern.example.com", System.Security.Authentication.SslProtocols.Tls12));
        Assert.Equal("CN=default.modern", (await TlsProbe.ServerCertificateAsync(proxy.HttpsPort, "modern.example.com", System.Security.Authentication.SslProtocols.Tls13)).Subject);
        Assert.Equal("CN=default.any", (await TlsProbe.ServerCertificateAsync(proxy.HttpsPort, "any.example.com", System.Security.Authentication.SslProtocols.Tls12)).Subject);
        var openssl = await TlsProbe.OpenSslAsync(proxy.HttpsPort, "-servername", "modern.example.com", "-tls1_2");
        Assert.Null(TlsProbe.PeerSubjectCn(openssl));
    }

    [Fact]
    public async Task SslCiphersPerHostRefuseOtherSuites()
    {
        using var pki = new TestPki();
        await using var backend = await TestBackend.StartTextAsync("ok");
        var config = Configs.Of(
            [
                Configs.Host("strict.example.com", Configs.Prefix("/", "b")) with
                {
                    Certificates = ["default/strict"],
                    Tls = new TlsPolicyConfig { Ciphers = "ECDHE-RSA-AES256-GCM-SHA384:HIGH" },
                },
                Configs.Host("any.example.com", Configs.Prefix("/", "b")) with { Certificates = ["default/any"] },
            ],
            [Configs.Backend("b", backend.Endpoint)]) with
        {
            Certificates =
            [
                pki.Server("default/strict", ecdsa: false, "strict.example.com") with { Hosts = ["strict.example.com"] },
                pki.Server("default/any", ecdsa: false, "any.example.com") with { Hosts = ["any.example.com"] },
            ],
        };
        await using var proxy = await TlsProxy.StartAsync(config);

        // TLS 1.2 with a suite the host does not list: no handshake; with the listed one: the host's certificate.
        var refused = await TlsProbe.OpenSslAsync(proxy.HttpsPort, "-servername", "strict.example.com", "-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256");
        Assert.Null(TlsProbe.PeerSubjectCn(refused));
        var listed = await TlsProbe.OpenSslAsync(proxy.HttpsPort, "-servername", "strict.example.com", "-tls1_2", "-cipher", "ECDHE-RSA-AES256-GCM-SHA384");
        Assert.Equal("default.strict", TlsProbe.PeerSubjectCn(listed));

        // Another host keeps the platform's suites, and TLS 1.3 stays on for the strict host.
        var other = await TlsProbe.OpenSslAsync(proxy.HttpsPort, "-servername", "any.example.com", "-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256");
        Assert.Equal("default.any", TlsProbe.PeerSubjectCn(other));
        var tls13 = await TlsProbe.OpenSslAsync(proxy.HttpsPort, "-servername", "strict.example.com", "-tls1_3");
        Assert.Equal("default.strict", TlsProbe.PeerSubjectCn(tls13));
    }
}
