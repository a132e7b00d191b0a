using System.Net;
using System.Security.Authentication;
using Gatehouse.Model;
using Gatehouse.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Tests.Tls;

/// <summary>HTTP → HTTPS redirects and client certificate verification, through the real listeners.</summary>
public sealed class TlsRequestPolicyTests
{
    private static async Task<TestBackend> EchoClientCertificateHeaderAsync()
        => await TestBackend.StartAsync(context => context.Response.WriteAsync(
            context.Request.Headers.TryGetValue("ssl-client-cert", out var value) ? "cert:" + value : "no cert"));

    [Fact]
    public async Task HttpRequestsToTlsHostsAreRedirectedWith308KeepingPathAndQuery()
    {
        using var pki = new TestPki();
        await using var backend = await TestBackend.StartTextAsync("plain");
        var config = Configs.Of(
            [
                Configs.Host("secure.example.com", Configs.Prefix("/", "b")) with { Certificates = ["default/secure"] },
                Configs.Host("optout.example.com", Configs.Prefix("/", "b") with { SslRedirect = false }) with { Certificates = ["default/secure"] },
                Configs.Host("forced.example.com", Configs.Prefix("/", "b") with { ForceSslRedirect = true }),
                Configs.Host("plain.example.com", Configs.Prefix("/", "b")),
            ],
            [Configs.Backend("b", backend.Endpoint)]) with
        {
            Certificates = [pki.Server("default/secure", ecdsa: false, "secure.example.com") with { Hosts = ["secure.example.com", "optout.example.com"] }],
        };
        await using var proxy = await TlsProxy.StartAsync(config);
        using var http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseProxy = false }) { BaseAddress = new Uri($"http://127.0.0.1:{proxy.HttpPort}") };

        async Task<HttpResponseMessage> Get(string host, string target)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, target);
            request.Headers.Host = host;
            return await http.SendAsync(request);
        }

        using var redirected = await Get("secure.example.com", "/a/b%20c?x=1&y=%2F");
        Assert.Equal(HttpStatusCode.PermanentRedirect, redirected.StatusCode);
        Assert.Equal($"https://secure.example.com:{TlsProxy.RedirectPort}/a/b%20c?x=1&y=%2F", redirected.Headers.Location!.OriginalString);

        using var forced = await Get("forced.example.com", "/f?q");
        Assert.Equal(HttpStatusCode.PermanentRedirect, forced.StatusCode);
        Assert.Equal($"https://forced.example.com:{TlsProxy.RedirectPort}/f?q", forced.Headers.Location!.OriginalString);

        using var optOut = await Get("optout.example.com", "/");
        Assert.Equal(HttpStatusCode.OK, optOut.StatusCode);
        using var plain = await Get("plain.example.com", "/");
        Assert.Equal(HttpStatusCode.OK, plain.StatusCode);

        // Over HTTPS the same host is served, not redirected.
        await using var tls = await TlsProbe.ConnectAsync(proxy.HttpsPort, "secure.example.com");
        Assert.StartsWith("HTTP/1.1 200", await tls.GetAsync("secure.example.com", "/a"), StringComparison.Ordinal);
    }

    private static GatehouseConfig MutualTlsConfig(TestPki serverPki, TestBackend backend, ClientAuthConfig clientAuth) => Configs.Of(
        [Configs.Host("mtls.example.com", Configs.Prefix("/", "b")) with { Certificates = ["default/mtls"], Tls = new TlsPolicyConfig { ClientAuth = clientAuth } }],
        [Configs.Backend("b", backend.Endpoint)]) with
    {
        Certificates = [serverPki.Server("default/mtls", ecdsa: false, "mtls.example.com") with { Hosts = ["mtls.example.com"] }],
    };

    [Fact]
    public async Task VerifiedClientCertificateIsAcceptedAndPassedUpstreamAndOthersAreRefused()
    {
        using var serverPki = new TestPki("server CA");
        using var clientPki = new TestPki("client CA");
        using var strangerPki = new TestPki("stranger CA");
        await using var backend = await EchoClientCertificateHeaderAsync();
        await using var proxy = await TlsProxy.StartAsync(MutualTlsConfig(serverPki, backend, new ClientAuthConfig
        {
            CaPem = clientPki.AuthorityPem,
            Verify = ClientCertificateVerification.On,
            PassCertificateToUpstream = true,
        }));
        using var good = clientPki.Client("CN=good client");

        await using (var accepted = await TlsProbe.ConnectAsync(proxy.HttpsPort, "mtls.example.com", clientCertificate: good))
        {
            var response = await accepted.GetAsync("mtls.example.com", "/");
            Assert.StartsWith("HTTP/1.1 200", response, StringComparison.Ordinal);
            var pem = Uri.UnescapeDataString(response[(response.IndexOf("cert:", StringComparison.Ordinal) + 5)..]);
            Assert.Contains("-----BEGIN CERTIFICATE-----", pem, StringComparison.Ordinal);
            Assert.Equal(good.Thumbprint, System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(pem.Trim()).Thumbprint);
        }

        await using (var anonymous = await TlsProbe.ConnectAsync(proxy.HttpsPort, "mtls.example.com"))
        {
            Assert.StartsWith("HTTP/1.1 400", await anonymous.GetAsync("mtls.example.com", "/"), StringComparison.Ordinal);
        }

        using var stranger = strangerPki.Client("CN=stranger");
        await using (var refused = await TlsProbe.ConnectAsync(proxy.HttpsPort, "mtls.example.com", clientCertificate: stranger))
        {
            Assert.StartsWith("HTTP/1.1 400", await refused.GetAsync("mtls.example.com", "/"), StringComparison.Ordinal);
        }

        // TLS 1.2 asks for the certificate in the first handshake rather than after it: accepted too.
        await using var tls12 = await TlsProbe.ConnectAsync(proxy.HttpsPort, "mtls.example.com", SslProtocols.Tls12, good);
        Assert.Equal(SslProtocols.Tls12, tls12.Stream.SslProtocol);
        Assert.StartsWith("HTTP/1.1 200", await tls12.GetAsync("mtls.example.com", "/"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task OptionalVerificationLetsAnonymousClientsThroughAndErrorPageRedirectsFailures()
    {
        using var serverPki = new TestPki("server CA");
        using var clientPki = new TestPki("client CA");
        using var strangerPki = new TestPki("stranger CA");
        await using var backend = await EchoClientCertificateHeaderAsync();
        await using var proxy = await TlsProxy.StartAsync(MutualTlsConfig(serverPki, backend, new ClientAuthConfig
        {
            CaPem = clientPki.AuthorityPem,
            Verify = ClientCertificateVerification.Optional,
            ErrorPage = "https://errors.example.com/cert",
        }));

        await using (var anonymous = await TlsProbe.ConnectAsync(proxy.HttpsPort, "mtls.example.com"))
        {
            var response = await anonymous.GetAsync("mtls.example.com", "/");
            Assert.StartsWith("HTTP/1.1 200", response, StringComparison.Ordinal);
            Assert.Contains("no cert", response, StringComparison.Ordinal);
        }

        using var stranger = strangerPki.Client("CN=stranger");
        await using var refused = await TlsProbe.ConnectAsync(proxy.HttpsPort, "mtls.example.com", clientCertificate: stranger);
        var redirect = await refused.GetAsync("mtls.example.com", "/");
        Assert.StartsWith("HTTP/1.1 302", redirect, StringComparison.Ordinal);
        Assert.Contains("Location: https://errors.example.com/cert", redirect, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ClientsCannotForgeTheClientCertificateHeader()
    {
        using var pki = new TestPki();
        await using var backend = await EchoClientCertificateHeaderAsync();
        await using var proxy = await TlsProxy.StartAsync(Configs.CatchAll(Configs.Backend("b", backend.Endpoint)));
        using var client = TlsProxy.HttpsClient(proxy);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/");
        request.Headers.Add("ssl-client-cert", "forged");

        using var response = await client.SendAsync(request);

        Assert.Equal("no cert", await response.Content.ReadAsStringAsync());
    }
}
