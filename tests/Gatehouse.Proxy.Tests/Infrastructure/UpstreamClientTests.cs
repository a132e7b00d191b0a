using Gatehouse.Model;
using Gatehouse.Proxy.Forwarding;
using Gatehouse.Proxy.Hosting;
using Gatehouse.Proxy.Transport;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Gatehouse.Tests.Infrastructure;

/// <summary>
/// Base of test classes that must hold for every upstream client (--upstream-client): each concrete
/// subclass runs all inherited tests against one client, on one transport (--transport).
/// </summary>
public abstract class UpstreamClientTests
{
    private protected abstract UpstreamClient UpstreamClient { get; }

    private protected virtual ProxyTransport Transport => ProxyTransport.Sockets;

    private protected ProxyOptions LocalOptions(TimeSpan? upstreamTimeout = null, HttpProtocols protocols = HttpProtocols.Http1)
        => ProxyHarness.LocalOptions(upstreamTimeout, protocols) with { UpstreamClient = UpstreamClient, Transport = Transport };

    private protected Task<ProxyHarness> StartProxyAsync(GatehouseConfig? config = null, TimeSpan? upstreamTimeout = null, HttpProtocols protocols = HttpProtocols.Http1)
        => ProxyHarness.StartAsync(config, LocalOptions(upstreamTimeout, protocols));

    private protected static Task<ProxyHarness> StartProxyAsync(GatehouseConfig? config, ProxyOptions options)
        => ProxyHarness.StartAsync(config, options);
}
