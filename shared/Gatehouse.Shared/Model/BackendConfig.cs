using System.Collections.Immutable;

namespace Gatehouse.Model;

/// <summary>
/// A Service port resolved to its ready endpoints. <see cref="Name"/> is
/// "namespace/service:port" where port is the Service port number or name as the Ingress gave it.
/// </summary>
public sealed record BackendConfig
{
    public required string Name { get; init; }

    public string Namespace { get; init; } = "";

    public string Service { get; init; } = "";

    public string Port { get; init; } = "";

    public BackendProtocol Protocol { get; init; } = BackendProtocol.Http;

    /// <summary>Ready endpoints, sorted by address then port. Empty means the proxy answers 503.</summary>
    public ImmutableArray<EndpointConfig> Endpoints { get; init; } = [];
}
