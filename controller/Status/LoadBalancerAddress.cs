using System.Net;
using Gatehouse.Controller.Kubernetes.Models;

namespace Gatehouse.Controller.Status;

/// <summary>One entry of status.loadBalancer.ingress: an IP or a host name.</summary>
public sealed record LoadBalancerAddress(string? Ip, string? Hostname)
{
    /// <summary>"10.0.0.1" is an IP, anything else ("lb.example.com") a host name.</summary>
    public static LoadBalancerAddress Parse(string text)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(text);
        return IPAddress.TryParse(text, out _) ? new(text, null) : new(null, text);
    }

    public static IReadOnlyList<LoadBalancerAddress> From(IngressLoadBalancerStatus? status)
        => status?.Ingress is { } entries ? [.. entries.Select(e => new LoadBalancerAddress(e.Ip, e.Hostname))] : [];

    public override string ToString() => Ip ?? Hostname ?? "";
}
