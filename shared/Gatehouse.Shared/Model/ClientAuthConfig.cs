namespace Gatehouse.Model;

/// <summary>Mutual TLS towards clients (auth-tls-secret and friends).</summary>
public sealed record ClientAuthConfig
{
    /// <summary>auth-tls-secret's ca.crt: PEM bundle of CAs trusted for client certificates.</summary>
    public required string CaPem { get; init; }

    /// <summary>auth-tls-verify-client.</summary>
    public ClientCertificateVerification Verify { get; init; } = ClientCertificateVerification.On;

    /// <summary>auth-tls-verify-depth.</summary>
    public int Depth { get; init; } = 1;

    /// <summary>auth-tls-pass-certificate-to-upstream: the PEM, URL-encoded, in the ssl-client-cert header.</summary>
    public bool PassCertificateToUpstream { get; init; }

    /// <summary>auth-tls-error-page: where a failed verification is redirected; null: 400.</summary>
    public string? ErrorPage { get; init; }
}
