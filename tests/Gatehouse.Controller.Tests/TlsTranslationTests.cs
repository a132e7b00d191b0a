using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Gatehouse.Controller;
using Gatehouse.Controller.Kubernetes.Models;
using Gatehouse.Controller.Sources;
using Gatehouse.Controller.Translation;
using Gatehouse.Controller.Translation.Tls;
using Gatehouse.Model;

namespace Gatehouse.Tests;

/// <summary>spec.tls Secrets, their validation and memory, and the TLS annotations, through the translator.</summary>
public sealed class TlsTranslationTests
{
    private static readonly ControllerOptions Options = new() { ManifestsDirectory = "/m", ChannelPath = "/c", IngressClass = "gatehouse" };
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;

    private static string Ingress(string name, string tls, string annotations = "{}", string host = "app.example.com") => $$"""
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata:
          name: {{name}}
          namespace: default
          annotations: {{annotations}}
        spec:
          ingressClassName: gatehouse
          tls: {{tls}}
          rules:
          - host: {{host}}
            http:
              paths:
              - path: /
                pathType: Prefix
                backend:
                  service:
                    name: web
                    port: {number: 80}
        """;

    private const string Class = """
        apiVersion: networking.k8s.io/v1
        kind: IngressClass
        metadata: {name: gatehouse}
        spec: {controller: gatehouse.io/ingress-controller}
        """;

    private static Secret TlsSecret(string name, string certificatePem, string keyPem, string? caPem = null)
    {
        var data = new Dictionary<string, string>
        {
            ["tls.crt"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(certificatePem)),
            ["tls.key"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(keyPem)),
        };
        if (caPem is not null)
        {
            data["ca.crt"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(caPem));
        }

        return new Secret { Metadata = new ObjectMeta { Name = name, Namespace = "default" }, Type = "kubernetes.io/tls", Data = data };
    }

    /// <summary>A self-signed leaf (or one signed by <paramref name="issuer"/>) as PEM, with its key.</summary>
    private static (string CertificatePem, string KeyPem, X509Certificate2 Certificate) Leaf(string cn, bool ecdsa = false, DateTimeOffset? notAfter = null, (X509Certificate2 Cert, RSA Key)? issuer = null)
    {
        using var rsa = ecdsa ? null : RSA.Create(2048);
        using var ec = ecdsa ? ECDsa.Create(ECCurve.NamedCurves.nistP256) : null;
        var request = ecdsa ? new CertificateRequest($"CN={cn}", ec!, HashAlgorithmName.SHA256) : new CertificateRequest($"CN={cn}", rsa!, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var notBefore = Now.AddDays(-30);
        var end = notAfter ?? Now.AddDays(30);
        X509Certificate2 certificate = issuer is { } i
            ? request.Create(i.Cert.SubjectName, X509SignatureGenerator.CreateForRSA(i.Key, RSASignaturePadding.Pkcs1), notBefore, end, [1, 2, 3])
            : ecdsa ? request.CreateSelfSigned(notBefore, end) : request.CreateSelfSigned(notBefore, end);
        var key = ecdsa ? ec!.ExportPkcs8PrivateKeyPem() : rsa!.ExportPkcs8PrivateKeyPem();
        return (certificate.ExportCertificatePem() + "\n", key, certificate);
    }

    private static TranslationResult Translate(IEnumerable<KubernetesObject> objects, CertificateHistory? history = null, ControllerOptions? options = null)
        => IngressTranslator.Translate(Snapshots.FromObjects(objects), options ?? Options, history);

    private static IEnumerable<KubernetesObject> Objects(string ingressYaml, params Secret[] secrets)
        => [.. Snapshots.Parse(Class), .. Snapshots.Parse(ingressYaml), .. secrets];

    [Fact]
    public void ValidSecretBecomesACertificateForItsHostsAndTheHostNamesIt()
    {
        var leaf = Leaf("app.example.com");
        var result = Translate(Objects(Ingress("app", "[{hosts: [app.example.com, extra.example.com], secretName: app-tls}]"), TlsSecret("app-tls", leaf.CertificatePem, leaf.KeyPem)));

        var certificate = Assert.Single(result.Config.Certificates);
        Assert.Equal("default/app-tls", certificate.Name);
        Assert.Equal(new[] { "app.example.com", "extra.example.com" }, certificate.Hosts.ToArray());
        Assert.Equal(leaf.KeyPem, certificate.PrivateKeyPem);
        var host = Assert.Single(result.Config.Hosts);
        Assert.Equal("default/app-tls", host.Certificate);
        Assert.Equal(new[] { "default/app-tls" }, host.Certificates.ToArray());
        Assert.DoesNotContain(result.Rejections, d => d.Kind == "Secret");
    }

    [Fact]
    public void InvalidUpdateIsRejectedAndTheLastGoodCertificateStays()
    {
        var history = new CertificateHistory();
        var good = Leaf("app.example.com");
        var other = Leaf("other.example.com");
        var ingress = Ingress("app", "[{hosts: [app.example.com], secretName: app-tls}]");
        var first = Translate(Objects(ingress, TlsSecret("app-tls", good.CertificatePem, good.KeyPem)), history);
        Assert.Equal(good.CertificatePem, Assert.Single(first.Config.Certificates).CertificatePem);

        // The Secret is updated with a key that belongs to another certificate.
        var second = Translate(Objects(ingress, TlsSecret("app-tls", good.CertificatePem, other.KeyPem)), history);

        var rejection = Assert.Single(second.Rejections, d => d.Code == DiagnosticCodes.InvalidSecret);
        Assert.Equal(("Secret", "default", "app-tls"), (rejection.Kind, rejection.Namespace, rejection.Name));
        Assert.Contains("last good", rejection.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain("PRIVATE KEY", rejection.Reason, StringComparison.Ordinal);
        var kept = Assert.Single(second.Config.Certificates);
        Assert.Equal(good.CertificatePem, kept.CertificatePem);
        Assert.Equal(good.KeyPem, kept.PrivateKeyPem);

        // Without a remembered good version, the broken Secret is simply left out.
        var fresh = Translate(Objects(ingress, TlsSecret("app-tls", good.CertificatePem, other.KeyPem)));
        Assert.Empty(fresh.Config.Certificates);
        Assert.Null(Assert.Single(fresh.Config.Hosts).Certificate);
    }

    [Fact]
    public void ChainOutOfOrderAndGarbageAreRejected()
    {
        using var caKey = RSA.Create(2048);
        var caRequest = new CertificateRequest("CN=Test CA", caKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var ca = caRequest.CreateSelfSigned(Now.AddDays(-1), Now.AddDays(60));
        var leaf = Leaf("app.example.com", issuer: (ca, caKey));
        var caPem = ca.ExportCertificatePem() + "\n";
        var ingress = Ingress("app", "[{hosts: [app.example.com], secretName: app-tls}]");

        var inOrder = Translate(Objects(ingress, TlsSecret("app-tls", leaf.CertificatePem + caPem, leaf.KeyPem)));
        Assert.Single(inOrder.Config.Certificates);

        var reversed = Translate(Objects(ingress, TlsSecret("app-tls", caPem + leaf.CertificatePem, leaf.KeyPem)));
        Assert.Contains(reversed.Rejections, d => d.Code == DiagnosticCodes.InvalidSecret && d.Reason.Contains("chain order", StringComparison.Ordinal));
        Assert.Empty(reversed.Config.Certificates);

        var garbage = Translate(Objects(ingress, TlsSecret("app-tls", "not a certificate", leaf.KeyPem)));
        Assert.Contains(garbage.Rejections, d => d.Code == DiagnosticCodes.InvalidSecret);
        Assert.Empty(garbage.Config.Certificates);
    }

    [Fact]
    public void ExpiredCertificateIsPublishedWithAWarning()
    {
        var expired = Leaf("app.example.com", notAfter: Now.AddDays(-1));
        var result = Translate(Objects(Ingress("app", "[{hosts: [app.example.com], secretName: app-tls}]"), TlsSecret("app-tls", expired.CertificatePem, expired.KeyPem)));

        Assert.Single(result.Config.Certificates);
        var warning = Assert.Single(result.Rejections, d => d.Code == DiagnosticCodes.CertificateExpired);
        Assert.Equal("app-tls", warning.Name);
    }

    [Fact]
    public void EcdsaAndRsaSecretsForOneHostMakeADualCertificateAndASecondRsaIsRefused()
    {
        var ecdsa = Leaf("app.example.com", ecdsa: true);
        var rsa = Leaf("app.example.com");
        var rsa2 = Leaf("app.example.com");
        var tls = "[{hosts: [app.example.com], secretName: app-ecdsa}, {hosts: [app.example.com], secretName: app-rsa}, {hosts: [app.example.com], secretName: app-rsa2}]";
        var result = Translate(Objects(Ingress("app", tls),
            TlsSecret("app-ecdsa", ecdsa.CertificatePem, ecdsa.KeyPem), TlsSecret("app-rsa", rsa.CertificatePem, rsa.KeyPem), TlsSecret("app-rsa2", rsa2.CertificatePem, rsa2.KeyPem)));

        var host = Assert.Single(result.Config.Hosts);
        Assert.Equal(new[] { "default/app-ecdsa", "default/app-rsa" }, host.Certificates.ToArray());
        Assert.Equal("default/app-ecdsa", host.Certificate);
        Assert.Contains(result.Rejections, d => d.Code == DiagnosticCodes.CertificateConflict);
    }

    [Fact]
    public void DefaultSslCertificateIsPublishedAndMissingSecretsAreReported()
    {
        var leaf = Leaf("default.example.com");
        var options = Options with { DefaultSslCertificate = "default/fallback" };
        var result = Translate(Objects(Ingress("app", "[{hosts: [app.example.com], secretName: absent}]"), TlsSecret("fallback", leaf.CertificatePem, leaf.KeyPem)), options: options);

        Assert.Equal("default/fallback", result.Config.DefaultCertificate);
        Assert.Empty(Assert.Single(result.Config.Certificates).Hosts);
        Assert.Contains(result.Rejections, d => d.Code == DiagnosticCodes.MissingSecret && d.Kind == "Ingress");
    }

    [Fact]
    public void TlsAnnotationsBecomeHostPoliciesAndRouteSettings()
    {
        var leaf = Leaf("app.example.com");
        var ca = Leaf("client CA");
        var annotations = "{nginx.ingress.kubernetes.io/ssl-redirect: \"false\", nginx.ingress.kubernetes.io/force-ssl-redirect: \"true\", nginx.ingress.kubernetes.io/ssl-protocols: \"TLSv1.2 TLSv1.3 SSLv3\", nginx.ingress.kubernetes.io/ssl-ciphers: \"ECDHE-RSA-AES128-GCM-SHA256\", nginx.ingress.kubernetes.io/auth-tls-secret: default/client-ca, nginx.ingress.kubernetes.io/auth-tls-verify-client: optional_no_ca, nginx.ingress.kubernetes.io/auth-tls-verify-depth: \"2\", nginx.ingress.kubernetes.io/auth-tls-pass-certificate-to-upstream: \"true\", nginx.ingress.kubernetes.io/auth-tls-error-page: \"https://err.example.com/\", nginx.ingress.kubernetes.io/proxy-ssl-secret: default/backend-client, nginx.ingress.kubernetes.io/proxy-ssl-verify: \"on\", nginx.ingress.kubernetes.io/proxy-ssl-name: backend.internal, nginx.ingress.kubernetes.io/proxy-ssl-server-name: \"on\"}";
        var caSecret = new Secret
        {
            Metadata = new ObjectMeta { Name = "client-ca", Namespace = "default" },
            Data = new() { ["ca.crt"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(ca.CertificatePem)) },
        };
        var result = Translate(Objects(Ingress("app", "[{hosts: [app.example.com], secretName: app-tls}]", annotations),
            TlsSecret("app-tls", leaf.CertificatePem, leaf.KeyPem), caSecret, TlsSecret("backend-client", leaf.CertificatePem, leaf.KeyPem, ca.CertificatePem)));

        var host = Assert.Single(result.Config.Hosts);
        Assert.Equal(new[] { "TLSv1.2", "TLSv1.3" }, host.Tls!.Protocols.ToArray());
        Assert.Contains(result.Rejections, d => d.Code == DiagnosticCodes.InvalidAnnotation && d.Reason.Contains("SSLv3", StringComparison.Ordinal));
        Assert.Equal("ECDHE-RSA-AES128-GCM-SHA256", host.Tls.Ciphers);
        var auth = host.Tls.ClientAuth!;
        Assert.Equal((ClientCertificateVerification.OptionalNoCa, 2, true, "https://err.example.com/"), (auth.Verify, auth.Depth, auth.PassCertificateToUpstream, auth.ErrorPage));
        Assert.Equal(ca.CertificatePem, auth.CaPem);

        var route = Assert.Single(host.Routes);
        Assert.False(route.SslRedirect);
        Assert.True(route.ForceSslRedirect);
        var backendTls = route.BackendTls!;
        Assert.Equal("default/backend-client", backendTls.ClientCertificate);
        Assert.Contains(result.Config.Certificates, c => c.Name == "default/backend-client");
        Assert.Equal((true, "backend.internal", true, ca.CertificatePem), (backendTls.Verify, backendTls.Name, backendTls.SendServerName, backendTls.TrustedCaPem));

        // Unparsable values are reported, the rest of the Ingress is still served.
        var bad = Translate(Objects(Ingress("app", "[]", """{nginx.ingress.kubernetes.io/ssl-redirect: "maybe"}""")));
        Assert.Contains(bad.Rejections, d => d.Code == DiagnosticCodes.InvalidAnnotation && d.Reason.Contains("ssl-redirect", StringComparison.Ordinal));
        Assert.True(Assert.Single(Assert.Single(bad.Config.Hosts).Routes).SslRedirect);
    }

    [Fact]
    public void Cipher_names_outside_the_supported_table_are_reported_and_the_rest_kept()
    {
        var leaf = Leaf("app.example.com");
        var annotations = """{nginx.ingress.kubernetes.io/ssl-ciphers: "ECDHE-RSA-AES128-GCM-SHA256:HIGH:!aNULL:DHE-RSA-AES256-GCM-SHA384"}""";
        var result = Translate(Objects(Ingress("app", "[{hosts: [app.example.com], secretName: app-tls}]", annotations), TlsSecret("app-tls", leaf.CertificatePem, leaf.KeyPem)));

        var rejection = Assert.Single(result.Rejections, d => d.Code == DiagnosticCodes.InvalidAnnotation);
        Assert.Contains("'HIGH', '!aNULL'", rejection.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain("ECDHE-RSA", rejection.Reason, StringComparison.Ordinal);
        Assert.Equal("ECDHE-RSA-AES128-GCM-SHA256:HIGH:!aNULL:DHE-RSA-AES256-GCM-SHA384", Assert.Single(result.Config.Hosts).Tls!.Ciphers);
    }
}
