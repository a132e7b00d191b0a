using Gatehouse.Model;

namespace Gatehouse.Controller;

/// <summary>Everything the command line configures. Defaults match the documented CLI contract.</summary>
public sealed record ControllerOptions
{
    public const string DefaultIngressClass = "gatehouse";
    public const string DefaultControllerName = "gatehouse.io/ingress-controller";
    public const int DefaultAdminPort = 10254;
    public const string DefaultAdminAddress = "127.0.0.1";
    public const string DefaultElectionId = "gatehouse-leader";
    public static readonly TimeSpan DefaultDebounce = TimeSpan.FromMilliseconds(200);
    public const string DefaultAnnotationsPrefix = "nginx.ingress.kubernetes.io";
    public const int DefaultMaxCanariesPerPath = 20;

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

    /// <summary>--ingress-storage-kubeconfig: the cluster Ingress, IngressClass and Secret are read from; null for the main one.</summary>
    public string? IngressStorageKubeconfig { get; init; }

    /// <summary>--publish-service: "namespace/name" of the Service whose load balancer addresses go into Ingress status.</summary>
    public string? PublishService { get; init; }

    /// <summary>--publish-status-address: fixed addresses (IPs or host names) for Ingress status.</summary>
    public IReadOnlyList<string>? PublishStatusAddresses { get; init; }

    /// <summary>True when the leader writes Ingress status (one of the publish flags was given).</summary>
    public bool WritesIngressStatus => PublishService is not null || PublishStatusAddresses is not null;

    /// <summary>--election-id: name of the leader election Lease.</summary>
    public string ElectionId { get; init; } = DefaultElectionId;

    /// <summary>--pod-namespace: namespace of the Lease; null to take $POD_NAMESPACE or the service account's.</summary>
    public string? PodNamespace { get; init; }

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
    /// --pod-name: this pod's name (default $POD_NAME, then the host name); its ordinal, the integer after
    /// the last '-', decides when a staged rollout reaches it (-1 without one: every change applies at once).
    /// </summary>
    public string PodName { get; init; } = DefaultPodName();

    /// <summary>--use-ingress-checksum: publish Ingresses only when they match an IngressCheckSum (or none exists).</summary>
    public bool UseIngressChecksum { get; init; }

    /// <summary>--use-secret-checksum: publish TLS Secrets only when they match a SecretCheckSum (or none exists).</summary>
    public bool UseSecretChecksum { get; init; }

    /// <summary>--checksum-api-group: API group of the checksum CRs watched (tengine.taobao.org while migrating).</summary>
    public string ChecksumApiGroup { get; init; } = Kubernetes.Models.CheckSumResource.DefaultGroup;

    public static string DefaultPodName()
        => Environment.GetEnvironmentVariable("POD_NAME") is { Length: > 0 } pod ? pod : Environment.MachineName;

    /// <summary>
    /// --annotations-prefix: the prefix of every Gatehouse annotation ("PREFIX/canary", ...), as
    /// ingress-nginx's flag of the same name; the default lets ingress-nginx manifests work unchanged.
    /// </summary>
    public string AnnotationsPrefix { get; init; } = DefaultAnnotationsPrefix;

    /// <summary>--otlp-endpoint: OTLP/HTTP collector base URL; metrics are pushed to {url}/v1/metrics. Null: no OTLP.</summary>
    public Uri? OtlpEndpoint { get; init; }

    /// <summary>--max-canaries-per-path: canary Ingresses attached to one host/path at most; later ones are rejected.</summary>
    public int MaxCanariesPerPath { get; init; } = DefaultMaxCanariesPerPath;

    /// <summary>
    /// --default-ssl-certificate: "namespace/name" of the TLS Secret served to clients without SNI or
    /// with a name no tls entry covers; null: the proxy's self-signed certificate.
    /// </summary>
    public string? DefaultSslCertificate { get; init; }
}
