using System.Net;
using Gatehouse.Tests.EndToEnd.Infrastructure;

namespace Gatehouse.Tests.EndToEnd;

/// <summary>
/// Containers of a pod start in any order: a proxy that finds no channel file (not even its folder)
/// answers 503, reports not ready, and picks the file up once the controller creates it.
/// </summary>
public sealed class ProxyBeforeChannelTests : IAsyncLifetime
{
    private GatehouseStack _stack = null!;

    public async Task InitializeAsync()
    {
        _stack = GatehouseStack.Create();
        await _stack.StartEchoIngressAsync("late.example.com");
    }

    public async Task DisposeAsync() => await _stack.DisposeAsync();

    [Fact]
    public async Task A_proxy_started_before_the_channel_exists_waits_then_serves()
    {
        Assert.False(Directory.Exists(Path.GetDirectoryName(_stack.ChannelPath)));
        await _stack.StartProxyAsync(waitForConfig: false);

        var (status, backend, body) = await _stack.SendAsync("late.example.com", "/");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Null(backend);
        Assert.Contains("no configuration loaded", body, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, await _stack.AdminStatusAsync(_stack.ProxyAdminPort, "/readyz"));
        await _stack.Proxy!.WaitForLineAsync("Config channel file is missing", GatehouseStack.Patience);

        await _stack.StartControllerAsync();
        await _stack.WaitUntilAsync(async () => await _stack.AdminStatusAsync(_stack.ProxyAdminPort, "/readyz") == HttpStatusCode.OK,
            "the proxy to load the new file", _stack.Proxy);

        Assert.Equal((HttpStatusCode.OK, "echo-a"), Pick(await _stack.SendAsync("late.example.com", "/")));
        Assert.Empty(ProxyLog.Rejections(_stack.Proxy.Output));
    }

    private static (HttpStatusCode, string?) Pick((HttpStatusCode Status, string? Backend, string Body) r) => (r.Status, r.Backend);
}
