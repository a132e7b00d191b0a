using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Gatehouse.Proxy.Tls;

/// <summary>
/// The certificate served when no --default-ssl-certificate is published: generated at start, in
/// memory only, like ingress-nginx's "Kubernetes Ingress Controller Fake Certificate".
/// </summary>
internal static class SelfSignedCertificate
{
    public const string Name = "gatehouse/self-signed";

    public static ServerCertificate Create(TimeProvider? time = null)
    {
        var now = (time ?? TimeProvider.System).GetUtcNow();
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=Gatehouse Default Certificate", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("gatehouse.invalid");
        request.CertificateExtensions.Add(san.Build());
        using var created = request.CreateSelfSigned(now.AddMinutes(-5), now.AddYears(1));
        var usable = X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pkcs12), null);
        return ServerCertificateLoader.FromCertificate(Name, usable);
    }
}
