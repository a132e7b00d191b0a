using System.Collections.Immutable;
using System.Net;
using System.Net.Sockets;
using Gatehouse.Controller.Kubernetes.Models;
using Gatehouse.Controller.Sources;
using Gatehouse.Model;

namespace Gatehouse.Controller.Translation;

/// <summary>
/// Resolves a <see cref="BackendReference"/> to the ready endpoints of the Service port it names.
/// A missing Service or port still yields a backend, with no endpoints, so its routes answer 503
/// instead of falling through to some other route; the caller reports the problem.
/// </summary>
internal sealed class BackendResolver
{
    private readonly ResourceSnapshot _snapshot;
    private readonly ILookup<(string Namespace, string Service), EndpointSlice> _slicesByService;
    private readonly Dictionary<string, (BackendConfig Backend, string? Problem)> _cache = new(StringComparer.Ordinal);

    public BackendResolver(ResourceSnapshot snapshot)
    {
        _snapshot = snapshot;
        _slicesByService = snapshot.EndpointSlices.Values
            .Where(slice => slice.Metadata.Labels?.ContainsKey(EndpointSlice.ServiceNameLabel) == true)
            .ToLookup(slice => (slice.Metadata.Namespace ?? "", slice.Metadata.Labels![EndpointSlice.ServiceNameLabel]));
    }

    /// <summary>Resolves (once per backend name); Problem is non-null when the backend has no usable Service port.</summary>
    public (BackendConfig Backend, string? Problem) Resolve(BackendReference reference)
    {
        if (!_cache.TryGetValue(reference.Name, out var resolved))
        {
            resolved = ResolveCore(reference);
            _cache[reference.Name] = resolved;
        }

        return resolved;
    }

    private (BackendConfig, string?) ResolveCore(BackendReference reference)
    {
        var backend = new BackendConfig
        {
            Name = reference.Name,
            Namespace = reference.Namespace,
            Service = reference.Service,
            Port = reference.Port,
            Protocol = reference.Protocol,
        };

        var serviceKey = ResourceSnapshot.Key(reference.Namespace, reference.Service);
        if (!_snapshot.Services.TryGetValue(serviceKey, out var service))
        {
            return (backend, $"service {serviceKey} not found; backend {reference.Name} has no endpoints");
        }

        if (string.Equals(service.Spec?.Type, "ExternalName", StringComparison.Ordinal))
        {
            return (backend, $"service {serviceKey} is of type ExternalName, which is not supported; backend {reference.Name} has no endpoints");
        }

        var servicePort = service.Spec?.Ports?.FirstOrDefault(p => reference.PortNumber is { } number
            ? p.Port == number
            : string.Equals(p.Name, reference.PortName, StringComparison.Ordinal));
        if (servicePort is null)
        {
            return (backend, $"service {serviceKey} has no port {reference.Port}; backend {reference.Name} has no endpoints");
        }

        // EndpointSlice ports carry the Service port's name, not its number; an unnamed port is "".
        var portName = servicePort.Name ?? "";
        var endpoints = new HashSet<EndpointConfig>();
        foreach (var slice in _slicesByService[(reference.Namespace, reference.Service)])
        {
            var family = slice.AddressType switch
            {
                "IPv4" => AddressFamily.InterNetwork,
                "IPv6" => AddressFamily.InterNetworkV6,
                _ => AddressFamily.Unknown, // FQDN slices are deprecated and not routable by IP.
            };
            if (family == AddressFamily.Unknown)
            {
                continue;
            }

            var slicePort = slice.Ports?.FirstOrDefault(p => string.Equals(p.Name ?? "", portName, StringComparison.Ordinal));
            if (slicePort?.Port is not ({ } port and > 0 and <= 65535))
            {
                continue;
            }

            foreach (var endpoint in slice.Endpoints ?? [])
            {
                // Ready "unknown" (null) counts as ready, per the EndpointSlice API contract.
                if (endpoint.Conditions?.Ready == false)
                {
                    continue;
                }

                foreach (var address in endpoint.Addresses ?? [])
                {
                    // Canonical text form, so "::1" and "0:0::1" deduplicate and sort the same way.
                    if (IPAddress.TryParse(address, out var ip) && ip.AddressFamily == family)
                    {
                        endpoints.Add(new EndpointConfig(ip.ToString(), port));
                    }
                }
            }
        }

        var sorted = endpoints
            .OrderBy(e => e.Address, StringComparer.Ordinal)
            .ThenBy(e => e.Port)
            .ToImmutableArray();
        return (backend with { Endpoints = sorted }, null);
    }
}
