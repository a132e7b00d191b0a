using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Gatehouse.Tests.EndToEnd.Infrastructure;

namespace Gatehouse.Tests.EndToEnd;

/// <summary>
/// TLS with real processes: a kubernetes.io/tls Secret in the manifests folder travels through the
/// controller and the channel to the proxy's HTTPS port; replacing it changes the certificate on new
/// connections without a restart, and a broken replacement keeps the last good one.
/// </summary>
public sealed class TlsEndToEndTests : IAsyncLifetime
{
    private const string Host = "secure.example.com";
    private GatehouseStack _stack = null!;

    public async Task InitializeAsync()
    {
        _stack = GatehouseStack.Create();
        await _stack.StartEchoAsync("echo-a");
        _stack.WriteManifest("class.yaml", Manifests.IngressClass);
        _stack.WriteManifest("services.yaml", Manifests.Service("svc-a", _stack.EchoPort("echo-a")));
        _stack.WriteManifest("ingress.yaml", $$"""
            apiVersion: networking.k8s.io/v1
            kind: Ingress
            metadata:
              name: secure
              namespace: default
            spec:
              ingressClassName: gatehouse
              tls:
                - hosts: [{{Host}}]
                  secretName: secure-tls
              rules:
                - host: {{Host}}
                  http:
                    paths:
                      - path: /
                        pathType: Prefix
                        backend:
                          service:
                            name: svc-a
                            port:
                              name: http
            """);
    }

    public async Task DisposeAsync() => await _stack.DisposeAsync();

    private static (string CertificatePem, string KeyPem, string Thumbprint) NewCertificate(string cn)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={cn}", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName(Host);
        request.CertificateExtensions.Add(san.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(1));
        return (certificate.ExportCertificatePem() + "\n", key.ExportPkcs8PrivateKeyPem(), certificate.Thumbprint);
    }

    private void WriteSecret(string certificatePem, string keyPem)
        => _stack.WriteManifest("secret.yaml", $"""
            apiVersion: v1
            kind: Secret
            metadata:
              name: secure-tls
              namespace: default
            type: kubernetes.io/tls
            data:
              tls.crt: {Convert.ToBase64String(Encoding.UTF8.GetBytes(certificatePem))}
              tls.key: {Convert.ToBase64String(Encoding.UTF8.GetBytes(keyPem))}
            """);

    private async Task<SslStream> ConnectAsync()
    {
        var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, _stack.ProxyHttpsPort);
        var ssl = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false);
        using var timeout = new CancellationTokenSource(GatehouseStack.Patience);
        await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = Host,
            RemoteCertificateValidationCallback = static (_, _, _, _) => true,
            ApplicationProtocols = [SslApplicationProtocol.Http11],
        }, timeout.Token);
        return ssl;
    }

    private async Task<string> ServedThumbprintAsync()
    {
        await using var ssl = await ConnectAsync();
        return new X509Certificate2(ssl.RemoteCertificate!).Thumbprint;
    }

    private static async Task<string> GetAsync(SslStream ssl, string path)
    {
        await ssl.WriteAsync(Encoding.ASCII.GetBytes($"GET {path} HTTP/1.1\r\nHost: {Host}\r\n\r\n"));
        await ssl.FlushAsync();
        var buffer = new byte[16384];
        var text = new StringBuilder();
        using var timeout = new CancellationTokenSource(GatehouseStack.Patience);
        while (!IsComplete(text.ToString()))
        {
            int read;
            try
            {
                read = await ssl.ReadAsync(buffer, timeout.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"no complete response to {path}; received so far:\n{text}");
            }

            if (read == 0)
            {
                break;
            }

            text.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }

        return text.ToString();
    }

    private static bool IsComplete(string response)
    {
        var end = response.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (end < 0)
        {
            return false;
        }

        var headers = response[..end];
        var body = response[(end + 4)..];
        foreach (var line in headers.Split("\r\n"))
        {
            if (line.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))
            {
                return body.Length >= int.Parse(line[15..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        return body.EndsWith("0\r\n\r\n", StringComparison.Ordinal);
    }

    [Fact]
    public async Task Secret_rotation_reaches_new_handshakes_while_open_connections_keep_working()
    {
        var first = NewCertificate("first");
        WriteSecret(first.CertificatePem, first.KeyPem);
        await _stack.StartControllerAsync();
        await _stack.StartProxyAsync();

        Assert.Equal(first.Thumbprint, await ServedThumbprintAsync());
        await using var open = await ConnectAsync();
        Assert.StartsWith("HTTP/1.1 200", await GetAsync(open, "/before"), StringComparison.Ordinal);

        // HTTP to a TLS host: 308 to https with path and query kept.
        using var noRedirects = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseProxy = false });
        using (var plain = await noRedirects.SendAsync(_stack.Request(Host, "/p?q=1")))
        {
            Assert.Equal(HttpStatusCode.PermanentRedirect, plain.StatusCode);
            Assert.Equal($"https://{Host}/p?q=1", plain.Headers.Location!.OriginalString);
        }

        var second = NewCertificate("second");
        WriteSecret(second.CertificatePem, second.KeyPem);
        await _stack.WaitUntilAsync(async () => await ServedThumbprintAsync() == second.Thumbprint, "the renewed certificate", _stack.Proxy);
        Assert.StartsWith("HTTP/1.1 200", await GetAsync(open, "/after"), StringComparison.Ordinal);

        // A broken update (key of another certificate) is rejected; the last good certificate stays.
        var generation = await _stack.ProxyGenerationAsync();
        WriteSecret(second.CertificatePem, NewCertificate("third").KeyPem);
        await _stack.WaitUntilAsync(() => Task.FromResult(_stack.Controller!.Output.Contains("secure-tls", StringComparison.Ordinal)
            && _stack.Controller.Output.Contains("last good", StringComparison.Ordinal)), "the invalid Secret reported", _stack.Controller);
        Assert.DoesNotContain("PRIVATE KEY", _stack.Controller!.Output, StringComparison.Ordinal);
        Assert.Equal(second.Thumbprint, await ServedThumbprintAsync());
        Assert.Equal(generation, await _stack.ProxyGenerationAsync());
    }

    [Fact]
    public async Task A_controller_restarted_while_a_Secret_is_broken_keeps_serving_the_last_good_certificate()
    {
        var good = NewCertificate("good");
        WriteSecret(good.CertificatePem, good.KeyPem);
        await _stack.StartControllerAsync();
        await _stack.StartProxyAsync();
        Assert.Equal(good.Thumbprint, await ServedThumbprintAsync());
        var generation = await _stack.ProxyGenerationAsync();

        // The Secret breaks while no controller runs; the new one only knows the broken content and
        // what the channel holds.
        await _stack.KillControllerAsync();
        WriteSecret(good.CertificatePem, NewCertificate("other").KeyPem);
        await _stack.StartControllerAsync();
        await _stack.WaitUntilAsync(() => Task.FromResult(_stack.Controller!.Output.Contains("secure-tls", StringComparison.Ordinal)
            && _stack.Controller.Output.Contains("last good", StringComparison.Ordinal)), "the invalid Secret reported", _stack.Controller);

        Assert.Contains("last good certificate(s) from the channel", _stack.Controller!.Output, StringComparison.Ordinal);
        Assert.Equal(good.Thumbprint, await ServedThumbprintAsync());
        Assert.Equal(generation, await _stack.ProxyGenerationAsync());
        Assert.DoesNotContain("PRIVATE KEY", _stack.Controller.Output, StringComparison.Ordinal);
    }
}
