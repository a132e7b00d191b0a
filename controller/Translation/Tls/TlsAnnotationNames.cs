namespace Gatehouse.Controller.Translation.Tls;

/// <summary>TLS annotation names, without the prefix (read through <see cref="AnnotationReader"/>). A contract with users: spelled as ingress-nginx does.</summary>
internal static class TlsAnnotationNames
{
    public const string SslRedirect = "ssl-redirect";
    public const string ForceSslRedirect = "force-ssl-redirect";
    public const string SslProtocols = "ssl-protocols";
    public const string SslCiphers = "ssl-ciphers";
    public const string AuthTlsSecret = "auth-tls-secret";
    public const string AuthTlsVerifyClient = "auth-tls-verify-client";
    public const string AuthTlsVerifyDepth = "auth-tls-verify-depth";
    public const string AuthTlsPassCertificateToUpstream = "auth-tls-pass-certificate-to-upstream";
    public const string AuthTlsErrorPage = "auth-tls-error-page";
    public const string ProxySslSecret = "proxy-ssl-secret";
    public const string ProxySslVerify = "proxy-ssl-verify";
    public const string ProxySslName = "proxy-ssl-name";
    public const string ProxySslServerName = "proxy-ssl-server-name";
}
