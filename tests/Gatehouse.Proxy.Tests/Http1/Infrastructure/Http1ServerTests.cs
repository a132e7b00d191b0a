using Gatehouse.Model;
using Gatehouse.Proxy.Hosting;
using Gatehouse.Proxy.Http1;
using Gatehouse.Proxy.Transport;
using Gatehouse.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Gatehouse.Tests.Http1.Infrastructure;

/// <summary>
/// Base of the HTTP/1.1 protocol tests: each concrete subclass runs every inherited test against one
/// HTTP/1.1 server (--http1-server). Both run on the epoll transport, the one the proxy's own server
/// needs, so the server is the only difference between the two.
/// </summary>
public abstract class Http1ServerTests
{
    private protected abstract Http1Server Server { get; }

    /// <summary>
    /// A proxy on the server under test. <paramref name="limits"/> go to <see cref="ProxyOptions.Http1Limits"/>,
    /// which the proxy gives Kestrel's HTTP/1.1 too, so a test of a limit holds whichever server answers.
    /// </summary>
    private protected async Task<ProxyHarness> StartProxyAsync(GatehouseConfig config, Http1Limits? limits = null)
    {
        var options = ProxyHarness.LocalOptions() with
        {
            Http1Server = Server,
            Transport = ProxyTransport.Epoll,
            Http1Limits = limits ?? new Http1Limits(),
        };
        return await ProxyHarness.StartAsync(config, options);
    }

    private protected static Task<RawHttp1Client> ConnectAsync(ProxyHarness proxy) => RawHttp1Client.ConnectAsync(proxy.Server.HttpPort);
}
