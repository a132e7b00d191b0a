using Gatehouse.Model;

namespace Gatehouse.Controller;

/// <summary>Everything the command line configures. Defaults match the documented CLI contract.</summary>
public sealed record ControllerOptions
{
    public const string DefaultIngressClass = "gatehouse";
    public const string DefaultControllerName = "gatehouse.io/ingress-controller";
    public const int DefaultAdminPort = 10254;
    public const string DefaultAdminAddress = "127.0.0.1";
    public static readonly TimeSpan DefaultDebounce = TimeSpan.FromMilliseconds(200);

    /// <summary>--manifests: directory of Kubernetes manifests to serve.</summary>
    public required string ManifestsDirectory { get; init; }

    /// <summary>--channel: path of the memory-mapped config file shared with the proxy.</summary>
    public required string ChannelPath { get; init; }

    /// <summary>--ingress-class: value of the legacy kubernetes.io/ingress.class annotation we serve.</summary>
    public string IngressClass { get; init; } = DefaultIngressClass;

    /// <summary>--controller-name: IngressClass spec.controller value that marks a class as ours.</summary>
    public string ControllerName { get; init; } = DefaultControllerName;

    public int AdminPort { get; init; } = DefaultAdminPort;

    public string AdminAddress { get; init; } = DefaultAdminAddress;

    /// <summary>Quiet period before reacting to changes (file events, then source changes).</summary>
    public TimeSpan Debounce { get; init; } = DefaultDebounce;

    /// <summary>
    /// --channel-schema: the payload schema to publish. An older minor lets this controller roll out
    /// before proxies that only know that minor; the default is the newest this build writes.
    /// </summary>
    public SchemaVersion ChannelSchema { get; init; } = SchemaVersion.Current;
}
