using System.Collections.Immutable;

namespace Gatehouse.Model;

public sealed record RouteConfig
{
    public required string Path { get; init; }

    public PathMatch Match { get; init; } = PathMatch.Prefix;

    /// <summary>Name of the <see cref="BackendConfig"/> this route forwards to.</summary>
    public required string Backend { get; init; }

    /// <summary>The Ingress this route came from, as "namespace/name".</summary>
    public string Ingress { get; init; } = "";

    /// <summary>Canary Ingresses attached to this route, in the order the controller resolved them (schema 1.2).</summary>
    public ImmutableArray<CanaryConfig> Canaries { get; init; } = [];

    /// <summary>Load balancing, affinity, timeouts and retries; null: defaults (schema 1.2).</summary>
    public UpstreamPolicyConfig? Upstream { get; init; }

    /// <summary>ssl-redirect: HTTP requests to a host with TLS are redirected with 308 (schema 1.2).</summary>
    public bool SslRedirect { get; init; } = true;

    /// <summary>force-ssl-redirect: redirect to HTTPS even without a tls entry for the host (schema 1.2).</summary>
    public bool ForceSslRedirect { get; init; }

    /// <summary>enable-access-log (schema 1.2).</summary>
    public bool AccessLog { get; init; } = true;

    /// <summary>TLS towards the backend; null: the backend protocol's defaults (schema 1.2).</summary>
    public BackendTlsConfig? BackendTls { get; init; }
}
