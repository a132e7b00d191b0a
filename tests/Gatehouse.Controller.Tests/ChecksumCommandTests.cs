using Gatehouse.Controller.Checksums;
using Gatehouse.Controller.Kubernetes.Models;
using Gatehouse.Tests.FakeApiServer;

namespace Gatehouse.Tests;

/// <summary>"gatehouse-controller checksum --kubeconfig": the ids and CR of the Ingresses a (fake) cluster holds.</summary>
public sealed class ChecksumCommandTests : IAsyncLifetime
{
    private FakeKubernetesApiServer _server = null!;
    private string _directory = "";

    public async Task InitializeAsync()
    {
        _server = await FakeKubernetesApiServer.StartAsync();
        _directory = Directory.CreateTempSubdirectory("gatehouse-checksum-").FullName;
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task Prints_the_ingress_checksum_resource_of_a_cluster()
    {
        _server.Apply(Versioned(KubeObjects.Ingress("web", "shop-7"), "2"));
        _server.Apply(Versioned(KubeObjects.Ingress("api", "orders-3"), "5"));
        _server.Apply(KubeObjects.Ingress("web", "unversioned-1"));
        var kubeconfig = await WriteKubeconfigAsync();
        var output = new StringWriter();
        var error = new StringWriter();

        var exit = await ChecksumCommand.RunAsync(["--kubeconfig", kubeconfig, "--kind", "ingress", "--namespace", "gatehouse"], output, error);

        Assert.Equal(0, exit);
        var text = output.ToString();
        Assert.Contains("apiVersion: gatehouse.io/v1\nkind: IngressCheckSum", text, StringComparison.Ordinal);
        Assert.Contains("namespace: \"gatehouse\"", text, StringComparison.Ordinal);
        Assert.Contains("ids: \"3-5,7-2\"", text, StringComparison.Ordinal);

        // python3 -c "import hashlib; print(hashlib.md5(b'3-5,7-2').hexdigest())"
        Assert.Contains("checksum: \"35e660d5e5455a638cbac9e46f8b58eb\"", text, StringComparison.Ordinal);
        Assert.DoesNotContain("SecretCheckSum", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Apply_creates_the_resource_then_updates_its_spec_in_place()
    {
        _server.Apply(Versioned(KubeObjects.Ingress("web", "shop-7"), "2"));
        var kubeconfig = await WriteKubeconfigAsync();
        const string Resource = "/apis/gatehouse.io/v1/ingresschecksums";

        var output = new StringWriter();
        var exit = await ChecksumCommand.RunAsync(["--kubeconfig", kubeconfig, "--kind", "ingress", "--namespace", "gatehouse", "--apply"], output, new StringWriter());

        Assert.Equal(0, exit);
        Assert.Contains("ingresschecksums.gatehouse.io/gatehouse created", output.ToString(), StringComparison.Ordinal);
        var created = _server.Store.Get(Resource, "gatehouse", "gatehouse")!;
        Assert.Equal("7-2", (string?)created["spec"]!["ids"]);
        Assert.Equal("IngressCheckSum", (string?)created["kind"]);

        // An operator's label survives the update; only the spec changes.
        created["metadata"]!.AsObject()["labels"] = new System.Text.Json.Nodes.JsonObject { ["team"] = "edge" };
        _server.Store.Upsert(Resource, created);
        _server.Apply(Versioned(KubeObjects.Ingress("api", "orders-3"), "5"));
        output = new StringWriter();
        exit = await ChecksumCommand.RunAsync(["--kubeconfig", kubeconfig, "--kind", "ingress", "--namespace", "gatehouse", "--apply"], output, new StringWriter());

        Assert.Equal(0, exit);
        Assert.Contains("configured", output.ToString(), StringComparison.Ordinal);
        var updated = _server.Store.Get(Resource, "gatehouse", "gatehouse")!;
        Assert.Equal("3-5,7-2", (string?)updated["spec"]!["ids"]);
        Assert.Equal("35e660d5e5455a638cbac9e46f8b58eb", (string?)updated["spec"]!["checksum"]);
        Assert.Equal("edge", (string?)updated["metadata"]!["labels"]!["team"]);

        // Under another annotations prefix the nginx.ingress.kubernetes.io/version annotations are not ours.
        output = new StringWriter();
        Assert.Equal(0, await ChecksumCommand.RunAsync(["--kubeconfig", kubeconfig, "--kind", "ingress", "--ids", "--annotations-prefix", "gatehouse.io"], output, new StringWriter()));
        Assert.Equal("", output.ToString().Trim());
    }

    private async Task<string> WriteKubeconfigAsync()
    {
        var kubeconfig = Path.Combine(_directory, "kubeconfig");
        await File.WriteAllTextAsync(kubeconfig, $"""
            apiVersion: v1
            kind: Config
            current-context: fake
            clusters:
            - name: fake
              cluster:
                server: {_server.BaseAddress}
            users:
            - name: u
              user:
                token: t
            contexts:
            - name: fake
              context:
                cluster: fake
                user: u
            """);
        return kubeconfig;
    }

    [Fact]
    public async Task Usage_errors_exit_with_two()
    {
        var error = new StringWriter();
        Assert.Equal(2, await ChecksumCommand.RunAsync(["--kind", "ingress"], TextWriter.Null, error));
        Assert.Contains("exactly one of --manifests", error.ToString(), StringComparison.Ordinal);
        Assert.Equal(2, await ChecksumCommand.RunAsync(["--manifests", _directory, "--kind", "pods"], TextWriter.Null, TextWriter.Null));
    }

    private static Ingress Versioned(Ingress ingress, string version)
    {
        ingress.Metadata.Annotations = new() { ["nginx.ingress.kubernetes.io/version"] = version };
        return ingress;
    }
}
