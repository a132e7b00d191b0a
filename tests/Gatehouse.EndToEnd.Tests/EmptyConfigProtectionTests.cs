using System.Net;
using Gatehouse.Tests.EndToEnd.Infrastructure;

namespace Gatehouse.Tests.EndToEnd;

/// <summary>
/// Tengine's empty-config protection, at the process level: when every manifest is replaced by one
/// that does not parse, the controller does not publish the resulting host-less config, and the
/// proxy keeps the routes it has until the file is fixed.
/// </summary>
public sealed class EmptyConfigProtectionTests : IAsyncLifetime
{
    private GatehouseStack _stack = null!;

    public async Task InitializeAsync()
    {
        _stack = GatehouseStack.Create();
        await _stack.StartEchoIngressAsync("kept.example.com");
        await _stack.StartControllerAsync();
        await _stack.StartProxyAsync();
    }

    public async Task DisposeAsync() => await _stack.DisposeAsync();

    [Fact]
    public async Task A_broken_folder_does_not_take_the_routes_down_and_fixing_it_publishes()
    {
        var generation = await _stack.ProxyGenerationAsync();
        Assert.Equal(HttpStatusCode.OK, (await _stack.SendAsync("kept.example.com", "/")).Status);

        // The broken file goes in first, so no read of the folder ever looks complete and empty.
        _stack.WriteManifest("all.yaml", "this: is: not: yaml: [");
        _stack.DeleteManifest("class.yaml");
        _stack.DeleteManifest("services.yaml");
        _stack.DeleteManifest("ingress.yaml");

        var controller = _stack.Controller!;
        await controller.WaitForLineAsync("0 Ingress, 0 IngressClass, 0 Service", GatehouseStack.Patience);
        await controller.WaitForLineAsync("Refusing to publish a config with no hosts", GatehouseStack.Patience);

        Assert.Equal(generation, await _stack.ProxyGenerationAsync());
        Assert.Equal(HttpStatusCode.OK, (await _stack.SendAsync("kept.example.com", "/")).Status);
        Assert.Equal(HttpStatusCode.OK, await _stack.AdminStatusAsync(_stack.ControllerAdminPort, "/readyz"));

        // Fixed: the same file now parses and describes a different host; that is published.
        _stack.WriteManifest("all.yaml", string.Join("\n---\n",
            Manifests.IngressClass,
            Manifests.Service("svc-a", _stack.EchoPort("echo-a")),
            Manifests.Ingress("web", "fixed.example.com", ("/", "Prefix", "svc-a"))));
        await _stack.WaitForGenerationAfterAsync(generation);

        Assert.Equal(HttpStatusCode.OK, (await _stack.SendAsync("fixed.example.com", "/")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await _stack.SendAsync("kept.example.com", "/")).Status);
    }
}
