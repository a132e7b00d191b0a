using System.Text;
using Gatehouse.Controller.Kubernetes.Models;
using Gatehouse.Controller.Sources;

namespace Gatehouse.Tests;

public sealed class ManifestParserTests
{
    [Fact]
    public void MultiDocumentYamlYieldsEveryObjectAndDefaultsNamespace()
    {
        var result = ManifestParser.Parse("multi.yaml", """
            apiVersion: v1
            kind: Service
            metadata: {name: a, namespace: shop}
            spec: {ports: [{name: http, port: 80, targetPort: web}]}
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: b}
            spec: {ports: [{port: 81, targetPort: 8081}]}
            ---
            """);

        Assert.Empty(result.Problems);
        Assert.Collection(result.Objects,
            o =>
            {
                var service = Assert.IsType<Service>(o);
                Assert.Equal("shop", service.Metadata.Namespace);
                Assert.Equal(new IntOrString("web"), service.Spec!.Ports![0].TargetPort);
            },
            o =>
            {
                var service = Assert.IsType<Service>(o);
                Assert.Equal("default", service.Metadata.Namespace);
                Assert.Equal(new IntOrString(8081), service.Spec!.Ports![0].TargetPort);
            });
    }

    [Fact]
    public void ListItemsAreExpanded()
    {
        var result = ManifestParser.Parse("list.yaml", """
            apiVersion: v1
            kind: List
            items:
              - apiVersion: networking.k8s.io/v1
                kind: IngressClass
                metadata: {name: gatehouse, namespace: ignored}
                spec: {controller: gatehouse.io/ingress-controller}
              - apiVersion: v1
                kind: Secret
                metadata: {name: tls}
                type: kubernetes.io/tls
                data: {tls.crt: Y2VydA==}
            """);

        Assert.Empty(result.Problems);
        Assert.Equal(2, result.Objects.Count);
        var ingressClass = Assert.IsType<IngressClass>(result.Objects[0]);
        Assert.Null(ingressClass.Metadata.Namespace); // cluster-scoped
        Assert.Equal("Y2VydA==", Assert.IsType<Secret>(result.Objects[1]).Data!["tls.crt"]);
    }

    [Fact]
    public void QuotedScalarsStayStringsAndPlainScalarsAreTyped()
    {
        // port "80" quoted must be refused for an int field, exactly as kubectl would.
        var quoted = ManifestParser.Parse("q.yaml", """
            apiVersion: v1
            kind: Service
            metadata: {name: q}
            spec: {ports: [{port: "80"}]}
            """);
        var problem = Assert.Single(quoted.Problems);
        Assert.Equal("Service", problem.Kind);
        Assert.Equal("q", problem.Name);

        var plain = ManifestParser.Parse("p.yaml", """
            apiVersion: v1
            kind: Service
            metadata:
              name: p
              labels: {enabled: true, count: 3, empty: ""}
              annotations: {flag: yes, number: 0x1F}
            spec:
              clusterIP: null
              ports: [{port: 0x50, targetPort: "8080"}]
            """);
        Assert.Empty(plain.Problems);
        var service = Assert.IsType<Service>(Assert.Single(plain.Objects));
        Assert.Equal(80, service.Spec!.Ports![0].Port);
        Assert.Null(service.Spec.ClusterIP);
        Assert.Equal(new IntOrString("8080"), service.Spec.Ports[0].TargetPort); // quoted → string form
        Assert.Equal("true", service.Metadata.Labels!["enabled"]); // labels are always strings
        Assert.Equal("3", service.Metadata.Labels["count"]);
        Assert.Equal("0x1F", service.Metadata.Annotations!["number"]);
    }

    [Fact]
    public void EndpointSliceReadyConditionKeepsNullDistinctFromFalse()
    {
        var result = ManifestParser.Parse("s.yaml", """
            apiVersion: discovery.k8s.io/v1
            kind: EndpointSlice
            metadata: {name: s, labels: {kubernetes.io/service-name: svc}}
            addressType: IPv6
            ports: [{name: "", port: 8080}]
            endpoints:
              - addresses: ["fd00::1"]
                conditions: {ready: false, serving: true, terminating: ~}
              - addresses: ["fd00::2"]
            """);

        var slice = Assert.IsType<EndpointSlice>(Assert.Single(result.Objects));
        Assert.False(slice.Endpoints![0].Conditions!.Ready);
        Assert.Null(slice.Endpoints[0].Conditions!.Terminating);
        Assert.Null(slice.Endpoints[1].Conditions);
        Assert.Equal("", slice.Ports![0].Name);
    }

    [Fact]
    public void JsonFilesAreRead()
    {
        var result = ManifestParser.Parse("ingress.json", """
            {
              "apiVersion": "networking.k8s.io/v1",
              "kind": "Ingress",
              "metadata": {"name": "web", "namespace": "shop", "creationTimestamp": "2024-05-01T10:00:00Z"},
              "spec": {"rules": [{"host": "shop.example.com", "http": {"paths": [
                {"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}]}
            }
            """);

        Assert.Empty(result.Problems);
        var ingress = Assert.IsType<Ingress>(Assert.Single(result.Objects));
        Assert.Equal(new DateTimeOffset(2024, 5, 1, 10, 0, 0, TimeSpan.Zero), ingress.Metadata.CreationTimestamp);
        Assert.Equal(80, ingress.Spec!.Rules![0].Http!.Paths![0].Backend!.Service!.Port!.Number);
    }

    [Fact]
    public void ManyDocumentsKeepTheirObjectsAndProblemsInFileOrder()
    {
        var yaml = new StringBuilder();
        for (var i = 0; i < 3000; i++)
        {
            // Every 500th Service has a port that is not a number: a problem at a known place.
            var port = i % 500 == 7 ? "{nested: 1}" : (1000 + i).ToString(System.Globalization.CultureInfo.InvariantCulture);
            yaml.Append($"apiVersion: v1\nkind: Service\nmetadata: {{name: s{i}}}\nspec: {{ports: [{{port: {port}}}]}}\n---\n");
        }

        var result = ManifestParser.Parse("many.yaml", yaml.ToString());

        Assert.Equal([.. Enumerable.Range(0, 3000).Where(i => i % 500 != 7).Select(i => $"s{i}")], result.Objects.Select(o => o.Metadata.Name));
        Assert.Equal([.. Enumerable.Range(0, 3000).Where(i => i % 500 == 7).Select(i => $"s{i}")], result.Problems.Select(p => p.Name));
        Assert.All(result.Objects, o => Assert.Equal(1000 + int.Parse(o.Metadata.Name![1..], System.Globalization.CultureInfo.InvariantCulture), ((Service)o).Spec!.Ports![0].Port));
    }

    [Fact]
    public void JsonFileWithADuplicateKeyIsASyntaxError()
    {
        var result = ManifestParser.Parse("dup.json", """
            {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "a", "name": "b"}}
            """);

        Assert.Empty(result.Objects);
        Assert.StartsWith("syntax error", Assert.Single(result.Problems).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void SyntaxErrorNamesTheFile()
    {
        var result = ManifestParser.Parse("/m/broken.yaml", "kind: Service\n  bad: [indent\n");

        Assert.Empty(result.Objects);
        var problem = Assert.Single(result.Problems);
        Assert.Equal("/m/broken.yaml", problem.File);
        Assert.Contains("syntax error at line 2", problem.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void SyntaxErrorInALaterDocumentLosesTheWholeFile()
    {
        var result = ManifestParser.Parse("two.yaml", """
            apiVersion: v1
            kind: Service
            metadata: {name: fine}
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: [unclosed}
            """);

        Assert.Empty(result.Objects);
        Assert.Contains("syntax error at line 7", Assert.Single(result.Problems).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void InvalidObjectIsSkippedButItsSiblingsLoad()
    {
        var result = ManifestParser.Parse("mixed.yaml", """
            apiVersion: v1
            kind: Service
            metadata: {name: bad, namespace: x}
            spec: {ports: [{port: {nested: 1}}]}
            ---
            apiVersion: v1
            kind: Service
            metadata: {namespace: x}
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: good}
            """);

        Assert.Equal("good", Assert.Single(result.Objects).Metadata.Name);
        Assert.Equal(2, result.Problems.Count);
        Assert.Equal(("Service", "x", "bad"), (result.Problems[0].Kind, result.Problems[0].Namespace, result.Problems[0].Name));
        Assert.Contains("metadata.name", result.Problems[1].Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownKindsAndOtherApiVersionsAreNotLoaded()
    {
        var result = ManifestParser.Parse("other.yaml", """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: d}
            ---
            apiVersion: networking.k8s.io/v1beta1
            kind: Ingress
            metadata: {name: old}
            """);

        Assert.Empty(result.Objects);
        Assert.Equal(["Deployment"], result.IgnoredKinds);
        Assert.Contains("apiVersion", Assert.Single(result.Problems).Reason, StringComparison.Ordinal);
    }
}
