using System.Globalization;
using Gatehouse.Model;

namespace Gatehouse.Controller.Translation;

/// <summary>A validated Ingress backend: a Service port by number or by name, in the Ingress's namespace.</summary>
internal sealed record BackendReference(string Namespace, string Service, int? PortNumber, string? PortName, BackendProtocol Protocol)
{
    /// <summary>"namespace/service:port", with the port exactly as the Ingress wrote it.</summary>
    public string Name { get; } = $"{Namespace}/{Service}:{(PortNumber is { } n ? n.ToString(CultureInfo.InvariantCulture) : PortName)}";

    public string Port => PortNumber is { } n ? n.ToString(CultureInfo.InvariantCulture) : PortName ?? "";
}
