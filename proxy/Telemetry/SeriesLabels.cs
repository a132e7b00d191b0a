namespace Gatehouse.Proxy.Telemetry;

/// <summary>
/// The labels every per-request metric carries, fixed when the route table is built. Values come from
/// the config (never from the request), which is what bounds cardinality.
/// </summary>
/// <param name="Host">The configured host ("*.example.com" for a wildcard rule) or <see cref="OtherHost"/>.</param>
/// <param name="Ingress">The Ingress name (without namespace), "" for the default backend and unrouted requests.</param>
/// <param name="Namespace">The Ingress's namespace.</param>
/// <param name="Service">The backend Service name.</param>
/// <param name="Canary">Whether the route is a canary route.</param>
internal sealed record SeriesLabels(string Host, string Ingress, string Namespace, string Service, bool Canary)
{
    /// <summary>Every request whose Host is not a configured host (catch-all rules, default backend, 404s).</summary>
    public const string OtherHost = "_other";

    public static SeriesLabels Unrouted { get; } = new(OtherHost, "", "", "", false);
}
