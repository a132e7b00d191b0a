using System.Net.Security;
using System.Security.Authentication;

namespace Gatehouse.Proxy.Tls;

/// <summary>Translates nginx's ssl_protocols and OpenSSL cipher names into what SslStream takes.</summary>
internal static class TlsProtocolNames
{
    // OpenSSL names of the suites worth configuring today; others are ignored (documented in docs/annotations.md).
    private static readonly Dictionary<string, TlsCipherSuite> OpenSslSuites = new(StringComparer.OrdinalIgnoreCase)
    {
        ["TLS_AES_128_GCM_SHA256"] = TlsCipherSuite.TLS_AES_128_GCM_SHA256,
        ["TLS_AES_256_GCM_SHA384"] = TlsCipherSuite.TLS_AES_256_GCM_SHA384,
        ["TLS_CHACHA20_POLY1305_SHA256"] = TlsCipherSuite.TLS_CHACHA20_POLY1305_SHA256,
        ["ECDHE-ECDSA-AES128-GCM-SHA256"] = TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        ["ECDHE-RSA-AES128-GCM-SHA256"] = TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        ["ECDHE-ECDSA-AES256-GCM-SHA384"] = TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        ["ECDHE-RSA-AES256-GCM-SHA384"] = TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
        ["ECDHE-ECDSA-CHACHA20-POLY1305"] = TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
        ["ECDHE-RSA-CHACHA20-POLY1305"] = TlsCipherSuite.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
        ["ECDHE-ECDSA-AES128-SHA256"] = TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256,
        ["ECDHE-RSA-AES128-SHA256"] = TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256,
        ["ECDHE-ECDSA-AES256-SHA384"] = TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384,
        ["ECDHE-RSA-AES256-SHA384"] = TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384,
        ["AES128-GCM-SHA256"] = TlsCipherSuite.TLS_RSA_WITH_AES_128_GCM_SHA256,
        ["AES256-GCM-SHA384"] = TlsCipherSuite.TLS_RSA_WITH_AES_256_GCM_SHA384,
    };

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

        var suites = new List<TlsCipherSuite>();
        foreach (var name in openSslCiphers.Split([':', ',', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (OpenSslSuites.TryGetValue(name, out var suite) && !suites.Contains(suite))
            {
                suites.Add(suite);
            }
        }

        if (suites.Count == 0)
        {
            return null;
        }

        // TLS 1.3 suites listed in a 1.2-style string would otherwise disable 1.3 entirely.
        if (!suites.Exists(static s => s is TlsCipherSuite.TLS_AES_128_GCM_SHA256 or TlsCipherSuite.TLS_AES_256_GCM_SHA384 or TlsCipherSuite.TLS_CHACHA20_POLY1305_SHA256))
        {
            suites.AddRange([TlsCipherSuite.TLS_AES_256_GCM_SHA384, TlsCipherSuite.TLS_AES_128_GCM_SHA256, TlsCipherSuite.TLS_CHACHA20_POLY1305_SHA256]);
        }

        return new CipherSuitesPolicy(suites);
    }

    public static bool IsKnownCipher(string name) => OpenSslSuites.ContainsKey(name);
}
