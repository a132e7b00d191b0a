namespace Gatehouse.Controller.Translation.Tls;

/// <summary>A kubernetes.io/tls Secret's chain and key after <see cref="SecretCertificateValidator"/> accepted them.</summary>
/// <param name="KeyAlgorithm">The leaf's public key algorithm OID: one certificate per key type per host.</param>
internal sealed record ValidatedCertificate(string CertificatePem, string PrivateKeyPem, DateTimeOffset NotBefore, DateTimeOffset NotAfter, string KeyAlgorithm);
