namespace Gatehouse.Model;

/// <summary>TLS from the proxy to the backend (backend-protocol HTTPS/GRPCS and the proxy-ssl-* annotations).</summary>
public sealed record BackendTlsConfig
{
    /// <summary>proxy-ssl-secret's tls.crt/tls.key: name of a <see cref="CertificateConfig"/> presented to the backend, or null.</summary>
    public string? ClientCertificate { get; init; }

    /// <summary>proxy-ssl-secret's ca.crt: PEM bundle trusted for the backend's certificate, or null for the system store.</summary>
    public string? TrustedCaPem { get; init; }

    /// <summary>proxy-ssl-verify (default off, as in ingress-nginx).</summary>
    public bool Verify { get; init; }

    /// <summary>proxy-ssl-name: the name verified (and sent as SNI when <see cref="SendServerName"/>); null: the endpoint address.</summary>
    public string? Name { get; init; }

    /// <summary>proxy-ssl-server-name: send SNI.</summary>
    public bool SendServerName { get; init; }
}
