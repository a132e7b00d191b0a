using System.Text.Json.Nodes;
using Gatehouse.Channel;
using Gatehouse.Model;
using Gatehouse.Serialization;
using Gatehouse.Tests.Golden;

namespace Gatehouse.Tests.Channel;

/// <summary>gatehouse-dump --diff run as a process against files written by the real channel writer.</summary>
public sealed class DumpDiffTests : IDisposable
{
    private const string Tool = "gatehouse-dump";
    private const string NewCertificate = "-----BEGIN CERTIFICATE-----\nROTATED\n-----END CERTIFICATE-----\n";
    private const string NewKey = "-----BEGIN PRIVATE KEY-----\nROTATED-SECRET-KEY\n-----END PRIVATE KEY-----\n";

    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private string Publish(params GatehouseConfig[] configs)
    {
        var path = _temp.File("config.bin");
        using var writer = ConfigChannelWriter.Open(path);
        foreach (var config in configs)
        {
            writer.Publish(ConfigSerializer.Serialize(config, SchemaVersion.Current), SchemaVersion.Current);
        }

        return path;
    }

    private static GatehouseConfig Changed()
    {
        var before = GoldenConfig.Create();
        var web = before.Backends[0];
        return before with
        {
            Hosts = before.Hosts.Add(new VirtualHostConfig
            {
                Host = "new.example.com",
                Routes = [new RouteConfig { Path = "/", Backend = "default/web:80", Ingress = "default/new" }],
            }),
            Backends = before.Backends.Replace(web, web with { Endpoints = [web.Endpoints[0], new EndpointConfig("10.0.0.3", 8080)] }),
            Certificates = [before.Certificates[0] with { CertificatePem = NewCertificate, PrivateKeyPem = NewKey }],
        };
    }

    [Fact]
    public async Task TextDiffShowsWhatChangedAndNoKeys()
    {
        var path = Publish(GoldenConfig.Create(), Changed());

        var result = await ToolProcess.RunAsync(Tool, path, "--diff");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("from slot 0: generation 1", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("to   slot 1 (active): generation 2", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("+ host new.example.com", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("~ backend default/web:80\n    + endpoint 10.0.0.3:8080\n    - endpoint 10.0.0.2:8080\n", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("~ certificate shop/wildcard-tls\n    certificate PEM changed\n", result.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("SECRET", result.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("PRIVATE KEY", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task JsonDiffHasTheDocumentedShape()
    {
        var path = Publish(GoldenConfig.Create(), Changed());

        var result = await ToolProcess.RunAsync(Tool, path, "--diff", "--json");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.DoesNotContain("SECRET", result.Stdout, StringComparison.Ordinal);
        var root = JsonNode.Parse(result.Stdout)!.AsObject();
        Assert.Equal(
            ["from", "to", "changed", "schema", "publishedBy", "configHash", "defaultBackend", "hosts", "backends", "certificates"],
            root.Select(p => p.Key));
        Assert.Equal((0, 1L, false), (root["from"]!["slot"]!.GetValue<int>(), root["from"]!["generation"]!.GetValue<long>(), root["from"]!["active"]!.GetValue<bool>()));
        Assert.Equal((1, 2L, true), (root["to"]!["slot"]!.GetValue<int>(), root["to"]!["generation"]!.GetValue<long>(), root["to"]!["active"]!.GetValue<bool>()));
        Assert.True(root["changed"]!.GetValue<bool>());
        Assert.Null(root["defaultBackend"]);
        Assert.Equal("new.example.com", root["hosts"]!["added"]![0]!.GetValue<string>());
        Assert.Empty(root["hosts"]!["changed"]!.AsArray());
        var backend = root["backends"]!["changed"]![0]!;
        Assert.Equal("default/web:80", backend["name"]!.GetValue<string>());
        Assert.Equal("10.0.0.3:8080", backend["endpoints"]!["added"]![0]!.GetValue<string>());
        Assert.Equal("10.0.0.2:8080", backend["endpoints"]!["removed"]![0]!.GetValue<string>());
        Assert.Empty(backend["fields"]!.AsObject());
        var certificate = root["certificates"]!["changed"]![0]!;
        Assert.True(certificate["certificatePemChanged"]!.GetValue<bool>());
    }

    [Fact]
    public async Task IdenticalSlotsPrintNoDifferences()
    {
        var path = Publish(GoldenConfig.Create(), GoldenConfig.Create());

        var result = await ToolProcess.RunAsync(Tool, path, "--diff");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.EndsWith("no differences\n", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OnePublishHasNothingToCompare()
    {
        var path = Publish(GoldenConfig.Create());

        var result = await ToolProcess.RunAsync(Tool, path, "--diff", "--json");

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("nothing to compare", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DiffRefusesShowSecrets()
    {
        var result = await ToolProcess.RunAsync(Tool, _temp.File("any.bin"), "--diff", "--show-secrets");
        Assert.True(result.ExitCode == 2, result.ToString());
    }
}
