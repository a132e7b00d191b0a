using System.Net;
using Gatehouse.Tests.EndToEnd.Infrastructure;

namespace Gatehouse.Tests.EndToEnd;

/// <summary>
/// --use-ingress-checksum from a manifests folder: the IngressCheckSum is produced by the
/// "gatehouse-controller checksum" command, as a pipeline would. An Ingress change the CR does not
/// cover is not served (the proxy keeps the last consistent config) until the CR is regenerated.
/// </summary>
public sealed class ChecksumMismatchTests : IAsyncLifetime
{
    private const string Host = "shop.example.com";

    private readonly GatehouseStack _stack = GatehouseStack.Create();

    public async Task InitializeAsync()
    {
        await _stack.StartEchoAsync("blue", "green");
        _stack.WriteManifest("class.yaml", Manifests.IngressClass);
        _stack.WriteManifest("services.yaml", Manifests.Service("svc-blue", _stack.EchoPort("blue")) + "\n---\n" + Manifests.Service("svc-green", _stack.EchoPort("green")));
        _stack.WriteManifest("shop.yaml", Shop("svc-blue", version: 1));
        _stack.WriteManifest("checksum.yaml", await ChecksumCommandAsync());
        await _stack.StartControllerAsync(source: ["--manifests", _stack.ManifestsDirectory, "--use-ingress-checksum"]);
        await _stack.StartProxyAsync();
    }

    public async Task DisposeAsync() => await _stack.DisposeAsync();

    [Fact]
    public async Task A_change_the_checksum_does_not_cover_is_held_until_the_checksum_is_fixed()
    {
        Assert.Equal("blue", (await _stack.SendAsync(Host, "/")).Backend);
        Assert.Contains("gatehouse_checksum_mismatch{kind=\"Ingress\"} 0", await MetricsAsync(), StringComparison.Ordinal);

        // The Ingress changes but the CR still describes version 1: the controller keeps version 1.
        var before = await _stack.ProxyGenerationAsync();
        _stack.WriteManifest("shop.yaml", Shop("svc-green", version: 2));
        await _stack.WaitUntilAsync(async () => (await MetricsAsync()).Contains("gatehouse_checksum_mismatch{kind=\"Ingress\"} 1", StringComparison.Ordinal),
            "the mismatch gauge", _stack.Controller);
        Assert.Equal("blue", (await _stack.SendAsync(Host, "/")).Backend);
        Assert.Equal(before, await _stack.ProxyGenerationAsync());

        // The log line follows the gauge and crosses a pipe: wait for it rather than race it.
        await _stack.WaitUntilAsync(() => Task.FromResult(_stack.Controller!.Output.Contains("ids missing from the cluster [1-1]", StringComparison.Ordinal)),
            "the mismatch log line", _stack.Controller);
        Assert.Contains("unexpected [1-2]", _stack.Controller!.Output, StringComparison.Ordinal);

        // The pipeline regenerates the CR: the new Ingress is consistent and served.
        _stack.WriteManifest("checksum.yaml", await ChecksumCommandAsync());
        await _stack.WaitForGenerationAfterAsync(before);
        var response = await _stack.SendAsync(Host, "/");
        Assert.Equal((HttpStatusCode.OK, "green"), (response.Status, response.Backend));
        Assert.Contains("gatehouse_checksum_mismatch{kind=\"Ingress\"} 0", await MetricsAsync(), StringComparison.Ordinal);
    }

    private async Task<string> MetricsAsync()
        => await _stack.Client.GetStringAsync($"http://127.0.0.1:{_stack.ControllerAdminPort}/metrics");

    /// <summary>Runs "gatehouse-controller checksum --manifests DIR --kind ingress" and returns the CR it prints.</summary>
    private async Task<string> ChecksumCommandAsync()
    {
        await using var command = ChildProcess.Start("checksum", Binaries.Controller, "checksum", "--manifests", _stack.ManifestsDirectory, "--kind", "ingress");
        Assert.Equal(0, await command.WaitForExitAsync(GatehouseStack.Patience));
        var output = command.Output;
        Assert.Contains("kind: IngressCheckSum", output, StringComparison.Ordinal);
        return output;
    }

    private static string Shop(string service, int version) => $"""
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata:
          name: shop-1
          namespace: default
          annotations:
            nginx.ingress.kubernetes.io/version: "{version}"
        spec:
          ingressClassName: gatehouse
          rules:
            - host: {Host}
              http:
                paths:
                  - path: /
                    pathType: Prefix
                    backend:
                      service:
                        name: {service}
                        port:
                          name: http
        """;
}
