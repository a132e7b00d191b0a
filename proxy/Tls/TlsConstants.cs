namespace Gatehouse.Proxy.Tls;

/// <summary>Wire values from the TLS registries (RFC 8446, RFC 5246, IANA TLS parameters) the proxy inspects.</summary>
internal static class TlsConstants
{
    public const byte HandshakeRecord = 22;
    public const byte ClientHelloMessage = 1;

    public const ushort ServerNameExtension = 0;
    public const ushort SignatureAlgorithmsExtension = 13;
    public const ushort SupportedVersionsExtension = 43;

    public const ushort Tls12 = 0x0303;
    public const ushort Tls13 = 0x0304;

    /// <summary>ECDSA signature schemes: ecdsa_secp256r1_sha256, ecdsa_secp384r1_sha384, ecdsa_secp521r1_sha512, ecdsa_sha1.</summary>
    public static bool IsEcdsaSignatureScheme(ushort scheme) => scheme is 0x0403 or 0x0503 or 0x0603 or 0x0203;

    /// <summary>TLS 1.2 suites whose server authentication is ECDSA (TLS_ECDHE_ECDSA_*).</summary>
    public static bool IsEcdheEcdsaSuite(ushort suite) => suite is
        (>= 0xC006 and <= 0xC00A)        // NULL, RC4, 3DES, AES-CBC-SHA
        or 0xC023 or 0xC024              // AES-CBC-SHA256/384
        or 0xC02B or 0xC02C              // AES-GCM
        or 0xC048 or 0xC049 or 0xC05C or 0xC05D // ARIA
        or 0xC072 or 0xC073 or 0xC086 or 0xC087 // Camellia
        or (>= 0xC0AC and <= 0xC0AF)     // AES-CCM
        or 0xCCA9;                       // CHACHA20-POLY1305
}
