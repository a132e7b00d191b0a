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
    public const string DefaultAnnotationsPrefix = "nginx.ingress.kubernetes.io";

    /// <summary>--manifests: directory of Kubernetes manifests to serve; null when reading from the API server.</summary>
    public string? ManifestsDirectory { get; init; }

    /// <summary>--kubeconfig: kubeconfig file to reach the API server with; null otherwise.</summary>
    public string? Kubeconfig { get; init; }

    /// <summary>--context: kubeconfig context to use instead of its current-context.</summary>
    public string? KubeContext { get; init; }

    /// <summary>--in-cluster: reach the API server with the pod's service account.</summary>
    public bool InCluster { get; init; }

    /// <summary>--watch-namespace: the one namespace to read namespaced objects from; null for all namespaces.</summary>
    public string? WatchNamespace { get; init; }

    /// <summary>True when objects come from the API server (--kubeconfig or --in-cluster) rather than a folder.</summary>
    public bool UsesKubernetesApi => Kubeconfig is not null || InCluster;

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

    /// <summary>
    /// --annotations-prefix: the prefix of every Gatehouse annotation ("PREFIX/canary", ...), as
    /// ingress-nginx's flag of the same name; the default lets ingress-nginx manifests work unchanged.
    /// </summary>
    public string AnnotationsPrefix { get; init; } = DefaultAnnotationsPrefix;

    /// <summary>
    /// --default-ssl-certificate: "namespace/name" of the TLS Secret served to clients without SNI or
    /// with a name no tls entry covers; null: the proxy's self-signed certificate.
    /// </summary>
    public string? DefaultSslCertificate { get; init; }
}
