namespace Gatehouse.Model;

/// <summary>auth-tls-verify-client values.</summary>
public enum ClientCertificateVerification : byte
{
    Off = 0,
    On = 1,
    Optional = 2,
    OptionalNoCa = 3,
}
