namespace Gatehouse.Tls;

/// <summary>
/// The OpenSSL cipher names the ssl-ciphers annotation may list, with their IANA code points. One
/// table for both sides: the controller reports names outside it, the proxy builds its cipher policy
/// from it, so a name is never accepted by one and silently dropped by the other.
/// </summary>
public static class OpenSslCipherNames
{
    private static readonly Dictionary<string, ushort> Suites = new(StringComparer.OrdinalIgnoreCase)
    {
        ["TLS_AES_128_GCM_SHA256"] = 0x1301,
        ["TLS_AES_256_GCM_SHA384"] = 0x1302,
        ["TLS_CHACHA20_POLY1305_SHA256"] = 0x1303,
        ["ECDHE-ECDSA-AES128-GCM-SHA256"] = 0xC02B,
        ["ECDHE-RSA-AES128-GCM-SHA256"] = 0xC02F,
        ["ECDHE-ECDSA-AES256-GCM-SHA384"] = 0xC02C,
        ["ECDHE-RSA-AES256-GCM-SHA384"] = 0xC030,
        ["ECDHE-ECDSA-CHACHA20-POLY1305"] = 0xCCA9,
        ["ECDHE-RSA-CHACHA20-POLY1305"] = 0xCCA8,
        ["ECDHE-ECDSA-AES128-SHA256"] = 0xC023,
        ["ECDHE-RSA-AES128-SHA256"] = 0xC027,
        ["ECDHE-ECDSA-AES256-SHA384"] = 0xC024,
        ["ECDHE-RSA-AES256-SHA384"] = 0xC028,
        ["ECDHE-ECDSA-AES128-SHA"] = 0xC009,
        ["ECDHE-RSA-AES128-SHA"] = 0xC013,
        ["ECDHE-ECDSA-AES256-SHA"] = 0xC00A,
        ["ECDHE-RSA-AES256-SHA"] = 0xC014,
        ["DHE-RSA-AES128-GCM-SHA256"] = 0x009E,
        ["DHE-RSA-AES256-GCM-SHA384"] = 0x009F,
        ["AES128-GCM-SHA256"] = 0x009C,
        ["AES256-GCM-SHA384"] = 0x009D,
        ["AES128-SHA256"] = 0x003C,
        ["AES256-SHA256"] = 0x003D,
    };

    /// <summary>The entries of an OpenSSL cipher string (":", "," or space separated).</summary>
    public static string[] Split(string cipherString)
        => cipherString.Split([':', ',', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public static bool TryGetCode(string name, out ushort code) => Suites.TryGetValue(name, out code);

    /// <summary>True for TLS 1.3 suites (listing only 1.2 suites must not switch TLS 1.3 off).</summary>
    public static bool IsTls13(ushort code) => code is 0x1301 or 0x1302 or 0x1303;
}
