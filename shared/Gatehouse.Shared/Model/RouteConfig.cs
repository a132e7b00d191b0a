namespace Gatehouse.Model;

public sealed record RouteConfig
{
    public required string Path { get; init; }

    public PathMatch Match { get; init; } = PathMatch.Prefix;

    /// <summary>Name of the <see cref="BackendConfig"/> this route forwards to.</summary>
    public required string Backend { get; init; }

    /// <summary>The Ingress this route came from, as "namespace/name".</summary>
    public string Ingress { get; init; } = "";
}
