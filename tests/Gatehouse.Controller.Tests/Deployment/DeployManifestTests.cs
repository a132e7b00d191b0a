using System.Text.Json.Nodes;
using Gatehouse.Controller;
using Gatehouse.Controller.Kubernetes.Client;
using Gatehouse.Controller.Sources;
using ProxyCommandLine = Gatehouse.Proxy.Hosting.CommandLine;

namespace Gatehouse.Tests.Deployment;

/// <summary>
/// manifests/deploy against the code: container args are flags the binaries accept (their real
/// parsers), declared ports and probes match the ports those flags configure, volumes and the channel
/// path agree between the two containers, and RBAC grants exactly what the controller calls.
/// </summary>
public sealed class DeployManifestTests
{
    private static readonly Lazy<IReadOnlyList<JsonObject>> Objects = new(Load);

    private static JsonObject StatefulSet => Single("StatefulSet");

    private static JsonObject PodSpec => (JsonObject)StatefulSet["spec"]!["template"]!["spec"]!;

    private static JsonObject Container(string name)
        => PodSpec["containers"]!.AsArray().Cast<JsonObject>().Single(c => (string?)c["name"] == name);

    private static string[] Args(string container) => [.. Container(container)["args"]!.AsArray().Select(a => (string)a!)];

    private static ControllerOptions ControllerOptions
    {
        get
        {
            var parsed = CommandLine.Parse(Args("controller"));
            Assert.Null(parsed.Error);
            return parsed.Options!;
        }
    }

    private static Gatehouse.Proxy.Hosting.ProxyOptions ProxyOptions
    {
        get
        {
            var options = ProxyCommandLine.Parse(Args("proxy"), out var error);
            Assert.Null(error);
            return options!;
        }
    }

    [Fact]
    public void EveryManifestParsesAndTheExpectedKindsAreThere()
    {
        var kinds = Objects.Value.Select(o => (string)o["kind"]!).ToHashSet();
        Assert.Superset(
            new HashSet<string> { "Namespace", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding", "IngressClass", "StatefulSet", "Service", "PodDisruptionBudget" },
            kinds);
        Assert.All(Objects.Value.Where(o => (string?)o["kind"] is not ("Namespace" or "ClusterRole" or "ClusterRoleBinding" or "IngressClass" or "CustomResourceDefinition")),
            o => Assert.Equal("gatehouse", (string?)o["metadata"]!["namespace"]));
    }

    [Fact]
    public void ContainerArgsAreAcceptedByTheRealParsers()
    {
        var controller = ControllerOptions;
        Assert.True(controller.InCluster);
        Assert.Equal("0.0.0.0", controller.AdminAddress);
        Assert.Equal("0.0.0.0", ProxyOptions.AdminAddress?.ToString());
    }

    [Fact]
    public void DeclaredPortsAndProbesAreThePortsTheFlagsConfigure()
    {
        Assert.Equal(new Dictionary<string, int> { ["admin"] = ControllerOptions.AdminPort }, Ports("controller"));

        var proxy = ProxyOptions;
        var proxyPorts = Ports("proxy");
        Assert.Equal(proxy.HttpPort, proxyPorts["http"]);
        Assert.Equal(proxy.AdminPort, proxyPorts["admin"]);

        Assert.Equal(proxy.HttpsPort, proxyPorts["https"]);
        Assert.Equal(["admin", "http", "https"], proxyPorts.Keys.Order(StringComparer.Ordinal));

        foreach (var name in new[] { "controller", "proxy" })
        {
            var container = Container(name);
            var probes = new[] { "startupProbe", "readinessProbe", "livenessProbe" }.Where(p => container[p] is not null).ToList();
            Assert.NotEmpty(probes);
            foreach (var probe in probes)
            {
                var get = container[probe]!["httpGet"]!;
                Assert.Equal("admin", (string?)get["port"]);
                Assert.Contains((string?)get["path"], new[] { "/healthz", "/readyz" });
            }
        }

        // Traffic: the load balancer's ports lead to the proxy's traffic ports, by name.
        var service = Services().Single(s => (string?)s["spec"]!["type"] == "LoadBalancer");
        var servicePorts = service["spec"]!["ports"]!.AsArray().ToDictionary(p => (int)p!["port"]!.GetValue<long>(), p => (string)p!["targetPort"]!);
        Assert.Equal(new Dictionary<int, string> { [80] = "http", [443] = "https" }, servicePorts);
        Assert.Equal(8080, proxyPorts["http"]);
        Assert.Equal(8443, proxyPorts["https"]);
    }

    [Fact]
    public void BothContainersShareTheChannelOnAMemoryEmptyDir()
    {
        var volumes = PodSpec["volumes"]!.AsArray().Cast<JsonObject>().ToDictionary(v => (string)v["name"]!);
        foreach (var name in new[] { "controller", "proxy" })
        {
            foreach (var mount in Container(name)["volumeMounts"]!.AsArray())
            {
                Assert.True(volumes.ContainsKey((string)mount!["name"]!), $"{name} mounts undeclared volume {mount["name"]}");
            }
        }

        var controllerChannel = ControllerOptions.ChannelPath;
        Assert.Equal(controllerChannel, ProxyOptions.ChannelPath);
        var controllerMount = MountHolding("controller", controllerChannel);
        var proxyMount = MountHolding("proxy", controllerChannel);
        Assert.Equal((string)controllerMount["name"]!, (string)proxyMount["name"]!);
        Assert.NotEqual(true, (bool?)controllerMount["readOnly"]);

        var channel = volumes[(string)controllerMount["name"]!]["emptyDir"]!;
        Assert.Equal("Memory", (string?)channel["medium"]);
        Assert.False(string.IsNullOrEmpty((string?)channel["sizeLimit"]));
    }

    [Fact]
    public void ContainersRunNonRootReadOnlyWithoutCapabilities()
    {
        Assert.True((bool?)PodSpec["securityContext"]!["runAsNonRoot"]);
        Assert.True(PodSpec["securityContext"]!["runAsUser"]!.GetValue<long>() > 0);
        foreach (var name in new[] { "controller", "proxy" })
        {
            var context = Container(name)["securityContext"]!;
            Assert.True((bool?)context["readOnlyRootFilesystem"], name);
            Assert.False((bool?)context["allowPrivilegeEscalation"], name);
            Assert.Equal(["ALL"], context["capabilities"]!["drop"]!.AsArray().Select(c => (string)c!));
        }

        // The proxy drains for up to 30 s after a 5 s preStop pause; the grace period must cover both.
        Assert.True(PodSpec["terminationGracePeriodSeconds"]!.GetValue<long>() >= 35);
        Assert.NotNull(Container("proxy")["lifecycle"]!["preStop"]);
    }

    [Fact]
    public void TheControllerGetsItsPodNameAndNamespaceAndPublishesTheLoadBalancerService()
    {
        var env = Container("controller")["env"]!.AsArray().ToDictionary(e => (string)e!["name"]!, e => (string?)e!["valueFrom"]?["fieldRef"]?["fieldPath"]);
        Assert.Equal("metadata.name", env["POD_NAME"]);
        Assert.Equal("metadata.namespace", env["POD_NAMESPACE"]);

        var service = Services().Single(s => (string?)s["spec"]!["type"] == "LoadBalancer");
        Assert.Equal($"{service["metadata"]!["namespace"]}/{service["metadata"]!["name"]}", ControllerOptions.PublishService);

        // The Lease lives in the pods' namespace, where the Role grants it.
        var role = Single("Role");
        Assert.Equal((string?)StatefulSet["metadata"]!["namespace"], (string?)role["metadata"]!["namespace"]);
        Assert.Equal(Controller.ControllerOptions.DefaultElectionId, ControllerOptions.ElectionId);
    }

    [Fact]
    public void SelectorsServiceAccountAndIngressClassMatch()
    {
        var labels = StatefulSet["spec"]!["template"]!["metadata"]!["labels"]!.AsObject();
        bool Selects(JsonNode? selector) => selector!.AsObject().All(pair => (string?)labels[pair.Key] == (string?)pair.Value);
        Assert.True(Selects(StatefulSet["spec"]!["selector"]!["matchLabels"]));
        Assert.True(Selects(Single("PodDisruptionBudget")["spec"]!["selector"]!["matchLabels"]));
        Assert.All(Services(), s => Assert.True(Selects(s["spec"]!["selector"])));
        Assert.Contains(Services(), s => (string?)s["metadata"]!["name"] == (string?)StatefulSet["spec"]!["serviceName"]);

        var account = (string)Single("ServiceAccount")["metadata"]!["name"]!;
        Assert.Equal(account, (string?)PodSpec["serviceAccountName"]);
        foreach (var binding in Objects.Value.Where(o => (string?)o["kind"] is "ClusterRoleBinding" or "RoleBinding"))
        {
            Assert.Contains(binding["subjects"]!.AsArray(), s => (string?)s!["name"] == account && (string?)s["kind"] == "ServiceAccount");
            var roleRef = binding["roleRef"]!;
            Assert.Contains(Objects.Value, o => (string?)o["kind"] == (string?)roleRef["kind"] && (string?)o["metadata"]!["name"] == (string?)roleRef["name"]);
        }

        var ingressClass = Single("IngressClass");
        Assert.Equal(Controller.ControllerOptions.DefaultIngressClass, (string?)ingressClass["metadata"]!["name"]);
        Assert.Equal(ControllerOptions.ControllerName, (string?)ingressClass["spec"]!["controller"]);
    }

    [Fact]
    public void RbacGrantsExactlyTheApiCallsOfTheController()
    {
        var granted = Objects.Value
            .Where(o => (string?)o["kind"] is "ClusterRole" or "Role")
            .SelectMany(role => role["rules"]!.AsArray())
            .SelectMany(rule =>
                from g in rule!["apiGroups"]!.AsArray()
                from r in rule["resources"]!.AsArray()
                from v in rule["verbs"]!.AsArray()
                select new ApiPermission((string)g!, (string)r!, (string)v!))
            .ToHashSet();

        Assert.Equal(KubernetesApiCalls.All.OrderBy(p => p.ToString(), StringComparer.Ordinal), granted.OrderBy(p => p.ToString(), StringComparer.Ordinal));
        Assert.DoesNotContain(granted, p => p.Group == "*" || p.Resource == "*" || p.Verb == "*");

        // Leases are granted in the namespace only, not cluster-wide.
        Assert.DoesNotContain(Single("ClusterRole")["rules"]!.AsArray(), r => r!["apiGroups"]!.AsArray().Any(g => (string?)g == KubernetesApiCalls.Coordination));
    }

    private static Dictionary<string, int> Ports(string container)
        => Container(container)["ports"]!.AsArray().ToDictionary(p => (string)p!["name"]!, p => (int)p!["containerPort"]!.GetValue<long>());

    private static JsonObject MountHolding(string container, string path)
        => Container(container)["volumeMounts"]!.AsArray().Cast<JsonObject>()
            .Single(m => path.StartsWith(((string)m["mountPath"]!).TrimEnd('/') + "/", StringComparison.Ordinal));

    private static List<JsonObject> Services() => [.. Objects.Value.Where(o => (string?)o["kind"] == "Service")];

    private static JsonObject Single(string kind) => Objects.Value.Single(o => (string?)o["kind"] == kind);

    private static IReadOnlyList<JsonObject> Load()
    {
        var directory = Path.Combine(RepositoryRoot(), "manifests", "deploy");
        var files = Directory.GetFiles(directory, "*.yaml");
        Assert.NotEmpty(files);
        return [.. files.SelectMany(file => YamlJsonConverter.ConvertDocuments(File.ReadAllText(file))).Cast<JsonObject>()];
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Gatehouse.slnx")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("repository root (Gatehouse.slnx) not found above " + AppContext.BaseDirectory);
    }
}
