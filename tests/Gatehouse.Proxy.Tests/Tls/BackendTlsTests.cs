using System.Net;
using System.Security.Cryptography.X509Certificates;
using Gatehouse.Model;
using Gatehouse.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Tests.Tls;

/// <summary>backend-protocol HTTPS with proxy-ssl-*: a real Kestrel backend that demands a client certificate.</summary>
public sealed class BackendTlsTests
{
    private static async Task<(WebApplication App, int Port)> StartMutualTlsBackendAsync(TestPki serverPki, TestPki clientPki)
    {
        var serverConfig = serverPki.Server("backend", ecdsa: false, "backend.internal");
        using var loaded = X509Certificate2.CreateFromPem(serverConfig.CertificatePem, serverConfig.PrivateKeyPem);
        var serverCertificate = X509CertificateLoader.LoadPkcs12(loaded.Export(X509ContentType.Pkcs12), null);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, listen => listen.UseHttps(https =>
        {
            https.ServerCertificate = serverCertificate;
            https.ClientCertificateMode = ClientCertificateMode.RequireCertificate;
            https.ClientCertificateValidation = (certificate, _, _) =>
            {
                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(clientPki.Authority);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return chain.Build(certificate);
            };
        })));
        var app = builder.Build();
        app.Run(context => context.Response.WriteAsync("client:" + context.Connection.ClientCertificate?.Subject));
        await app.StartAsync();
        var port = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()).Port;
        return (app, port);
    }

    private static GatehouseConfig Config(int backendPort, BackendTlsConfig? backendTls, params CertificateConfig[] certificates) => Configs.Of(
        [Configs.Host("", Configs.Prefix("/", "secure") with { BackendTls = backendTls })],
        [Configs.Backend("secure", new EndpointConfig("127.0.0.1", backendPort)) with { Protocol = BackendProtocol.Https }]) with
    {
        Certificates = [.. certificates],
    };

    [Fact]
    public async Task ProxyPresentsTheProxySslSecretAndVerifiesTheBackendByName()
    {
        using var serverPki = new TestPki("backend CA");
        using var clientPki = new TestPki("gateway CA");
        var (app, port) = await StartMutualTlsBackendAsync(serverPki, clientPki);
        await using var _ = app;
        var clientCertificate = clientPki.ClientConfig("default/gateway-client");

        var verified = new BackendTlsConfig
        {
            ClientCertificate = "default/gateway-client",
            TrustedCaPem = serverPki.AuthorityPem,
            Verify = true,
            Name = "backend.internal",
        };
        await using var proxy = await ProxyHarness.StartAsync(Config(port, verified, clientCertificate));

        using (var response = await proxy.Client.GetAsync("/"))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("client:CN=default.gateway-client", await response.Content.ReadAsStringAsync());
        }

        // Without the client certificate the backend refuses the handshake: 502, the proxy stays up.
        proxy.Server.ApplyConfig(Config(port, verified with { ClientCertificate = null }) with { Generation = 2 });
        using (var refused = await proxy.Client.GetAsync("/"))
        {
            Assert.Equal(HttpStatusCode.BadGateway, refused.StatusCode);
        }

        // Verification against the wrong name fails too, even with the right client certificate.
        proxy.Server.ApplyConfig(Config(port, verified with { Name = "someone-else.internal" }, clientCertificate) with { Generation = 3 });
        using (var wrongName = await proxy.Client.GetAsync("/"))
        {
            Assert.Equal(HttpStatusCode.BadGateway, wrongName.StatusCode);
        }

        // And proxy-ssl-verify off accepts the backend whatever its name.
        proxy.Server.ApplyConfig(Config(port, verified with { Name = "someone-else.internal", Verify = false }, clientCertificate) with { Generation = 4 });
        using (var unverified = await proxy.Client.GetAsync("/"))
        {
            Assert.Equal(HttpStatusCode.OK, unverified.StatusCode);
        }
    }

    /// <summary>An HTTPS backend that answers with the SNI it received ("-" for none) and the protocol.</summary>
    private static async Task<(WebApplication App, int Port)> StartSniRecordingBackendAsync(TestPki pki, Microsoft.AspNetCore.Server.Kestrel.Core.HttpProtocols protocols)
    {
        var config = pki.Server("backend", ecdsa: false, "backend.internal");
        using var loaded = X509Certificate2.CreateFromPem(config.CertificatePem, config.PrivateKeyPem);
        var certificate = X509CertificateLoader.LoadPkcs12(loaded.Export(X509ContentType.Pkcs12), null);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, listen =>
        {
            listen.Protocols = protocols;
            listen.UseHttps(https => https.ServerCertificateSelector = (connection, name) =>
            {
                connection!.Items["sni"] = name;
                return certificate;
            });
        }));
        var app = builder.Build();
        app.Run(context => context.Response.WriteAsync(
            $"sni:{((context.Features.Get<Microsoft.AspNetCore.Connections.Features.IConnectionItemsFeature>()?.Items["sni"] as string) is { Length: > 0 } sni ? sni : "-")} {context.Request.Protocol}"));
        await app.StartAsync();
        var port = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()).Port;
        return (app, port);
    }

    [Fact]
    public async Task Sni_is_sent_only_with_proxy_ssl_server_name_and_names_proxy_ssl_name_or_the_host()
    {
        using var pki = new TestPki("backend CA");
        var (app, port) = await StartSniRecordingBackendAsync(pki, Microsoft.AspNetCore.Server.Kestrel.Core.HttpProtocols.Http1);
        await using var _ = app;

        async Task<string> AnswerAsync(ProxyHarness proxy)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/");
            request.Headers.Host = "shop.example.com:8080";
            using var response = await proxy.Client.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return await response.Content.ReadAsStringAsync();
        }

        // ingress-nginx's default (proxy-ssl-server-name off): no server_name at all.
        await using (var proxy = await ProxyHarness.StartAsync(Config(port, backendTls: null)))
        {
            Assert.Equal("sni:- HTTP/1.1", await AnswerAsync(proxy));
        }

        await using (var proxy = await ProxyHarness.StartAsync(Config(port, new BackendTlsConfig { SendServerName = true })))
        {
            Assert.Equal("sni:shop.example.com HTTP/1.1", await AnswerAsync(proxy));
        }

        var named = new BackendTlsConfig { SendServerName = true, Name = "backend.internal", Verify = true, TrustedCaPem = pki.AuthorityPem };
        await using (var proxy = await ProxyHarness.StartAsync(Config(port, named)))
        {
            Assert.Equal("sni:backend.internal HTTP/1.1", await AnswerAsync(proxy));
        }

        // proxy-ssl-name without proxy-ssl-server-name: verified against the name, but not sent.
        await using (var proxy = await ProxyHarness.StartAsync(Config(port, named with { SendServerName = false })))
        {
            Assert.Equal("sni:- HTTP/1.1", await AnswerAsync(proxy));
        }
    }

    [Fact]
    public async Task Grpcs_backends_get_http2_over_tls()
    {
        using var pki = new TestPki("backend CA");
        var (app, port) = await StartSniRecordingBackendAsync(pki, Microsoft.AspNetCore.Server.Kestrel.Core.HttpProtocols.Http2);
        await using var _ = app;
        var config = Configs.Of(
            [Configs.Host("", Configs.Prefix("/", "grpcs"))],
            [Configs.Backend("grpcs", new EndpointConfig("127.0.0.1", port)) with { Protocol = BackendProtocol.Grpcs }]);
        await using var proxy = await ProxyHarness.StartAsync(config);

        using var response = await proxy.Client.GetAsync("/");

        // GRPCS: SNI is the request's host (127.0.0.1 here, an IP, so none is sent); HTTP/2 end to end.
        Assert.Equal((HttpStatusCode.OK, "sni:- HTTP/2"), (response.StatusCode, await response.Content.ReadAsStringAsync()));
    }
}
