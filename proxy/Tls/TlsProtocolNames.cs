using System.Net.Security;
using System.Security.Authentication;
using Gatehouse.Tls;

namespace Gatehouse.Proxy.Tls;

/// <summary>Translates nginx's ssl_protocols and OpenSSL cipher names into what SslStream takes.</summary>
internal static class TlsProtocolNames
{
    public static SslProtocols ParseProtocols(IEnumerable<string> names)
    {
        var protocols = SslProtocols.None;
        foreach (var name in names)
        {
            protocols |= name switch
            {
                "TLSv1.2" => SslProtocols.Tls12,
                "TLSv1.3" => SslProtocols.Tls13,
                _ => SslProtocols.None, // TLSv1/TLSv1.1 are not offered by the platform any more.
            };
        }

        return protocols;
    }

    /// <summary>The suites named in an OpenSSL cipher string that map to known suites; null when none does.</summary>
    public static CipherSuitesPolicy? ParseCiphers(string? openSslCiphers)
    {
        if (string.IsNullOrWhiteSpace(openSslCiphers) || !OperatingSystem.IsLinux())
        {
            return null;
        }

        // Unknown names were reported by the controller (ssl-ciphers); here they are left out.
        var suites = new List<TlsCipherSuite>();
        var hasTls13 = false;
        foreach (var name in OpenSslCipherNames.Split(openSslCiphers))
        {
            if (OpenSslCipherNames.TryGetCode(name, out var code) && !suites.Contains((TlsCipherSuite)code))
            {
                suites.Add((TlsCipherSuite)code);
                hasTls13 |= OpenSslCipherNames.IsTls13(code);
            }
        }

        if (suites.Count == 0)
        {
            return null;
        }

        // TLS 1.3 suites listed in a 1.2-style string would otherwise disable 1.3 entirely (nginx
        // configures 1.3 suites separately too).
        if (!hasTls13)
        {
            suites.AddRange([TlsCipherSuite.TLS_AES_256_GCM_SHA384, TlsCipherSuite.TLS_AES_128_GCM_SHA256, TlsCipherSuite.TLS_CHACHA20_POLY1305_SHA256]);
        }

        return new CipherSuitesPolicy(suites);
    }
}
