namespace Gatehouse.Controller.Kubernetes.Client;

/// <summary>
/// Every (group, resource, verb) the controller asks the API server for. The deployment's RBAC rules
/// must grant exactly these (a test compares manifests/deploy with this table), and <see cref="Classify"/>
/// maps a request back to its permission so tests can check that the running code stays inside the table.
/// </summary>
public static class KubernetesApiCalls
{
    public const string Networking = "networking.k8s.io";
    public const string Discovery = "discovery.k8s.io";
    public const string Coordination = "coordination.k8s.io";
    public const string Gatehouse = "gatehouse.io";

    /// <summary>Informers of <see cref="Sources.KubernetesResourceSource"/> and of the --publish-service watch.</summary>
    public static IReadOnlyList<ApiPermission> Informers { get; } =
    [
        new(Networking, "ingresses", "list"), new(Networking, "ingresses", "watch"),
        new(Networking, "ingressclasses", "list"), new(Networking, "ingressclasses", "watch"),
        new("", "services", "list"), new("", "services", "watch"),
        new(Discovery, "endpointslices", "list"), new(Discovery, "endpointslices", "watch"),
        new("", "secrets", "list"), new("", "secrets", "watch"),
    ];

    /// <summary>Ingress status written by the leader (<see cref="Status.IngressStatusWriter"/>): merge patches only.</summary>
    public static IReadOnlyList<ApiPermission> IngressStatus { get; } = [new(Networking, "ingresses/status", "patch")];

    /// <summary><see cref="Events.KubernetesEventRecorder"/>: a new event is created, a repeat patches its count.</summary>
    public static IReadOnlyList<ApiPermission> Events { get; } = [new("", "events", "create"), new("", "events", "patch")];

    /// <summary><see cref="Election.LeaderElector"/>, on its one Lease in the pod's namespace.</summary>
    public static IReadOnlyList<ApiPermission> Leases { get; } =
    [
        new(Coordination, "leases", "get"), new(Coordination, "leases", "create"), new(Coordination, "leases", "update"),
    ];

    /// <summary>The checksum custom resources read by the rollout gate (its CRDs ship in manifests/deploy).</summary>
    public static IReadOnlyList<ApiPermission> Checksums { get; } =
    [
        new(Gatehouse, "ingresschecksums", "get"), new(Gatehouse, "ingresschecksums", "list"), new(Gatehouse, "ingresschecksums", "watch"),
        new(Gatehouse, "secretchecksums", "get"), new(Gatehouse, "secretchecksums", "list"), new(Gatehouse, "secretchecksums", "watch"),
    ];

    public static IReadOnlyList<ApiPermission> All { get; } = [.. Informers, .. IngressStatus, .. Events, .. Leases, .. Checksums];

    /// <summary>
    /// The permission a request needs, from its method and path ("/apis/GROUP/VERSION/[namespaces/NS/]PLURAL[/NAME[/SUB]]"):
    /// GET on a collection is list (watch with ?watch=true), GET on an object get, POST create, PUT update, PATCH patch.
    /// </summary>
    public static ApiPermission Classify(string method, string path, bool watch)
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(path);
        var parts = path.Split('?')[0].Trim('/').Split('/');
        var (group, rest) = parts switch
        {
            ["api", _, .. var tail] => ("", tail),
            ["apis", var g, _, .. var tail] => (g, tail),
            _ => throw new ArgumentException($"not an API path: {path}", nameof(path)),
        };

        if (rest is ["namespaces", _, _, ..])
        {
            rest = rest[2..];
        }

        var (resource, isObject) = rest switch
        {
            [var plural] => (plural, false),
            [var plural, _] => (plural, true),
            [var plural, _, var subresource] => ($"{plural}/{subresource}", true),
            _ => throw new ArgumentException($"not a resource path: {path}", nameof(path)),
        };

        var verb = method.ToUpperInvariant() switch
        {
            "GET" when watch => "watch",
            "GET" => isObject ? "get" : "list",
            "POST" => "create",
            "PUT" => "update",
            "PATCH" => "patch",
            "DELETE" => "delete",
            _ => throw new ArgumentException($"unexpected method {method}", nameof(method)),
        };
        return new ApiPermission(group, resource, verb);
    }
}
