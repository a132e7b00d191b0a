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
    /// A proxy on the server under test. <paramref name="limits"/> go to <see cref="ProxyOptions.Http1Limits"/>
    /// and, for the timeouts, to Kestrel too (see <see cref="KestrelTrafficLimits"/>), so a test of a
    /// limit holds whichever server answers.
    /// </summary>
    private protected async Task<ProxyHarness> StartProxyAsync(GatehouseConfig config, Http1Limits? limits = null)
    {
        var options = ProxyHarness.LocalOptions() with
        {
            Http1Server = Server,
            Transport = ProxyTransport.Epoll,
            Http1Limits = limits ?? new Http1Limits(),
        };
        var proxy = await ProxyHarness.StartAsync(config, options);
        if (limits is not null)
        {
            KestrelTrafficLimits.Mirror(proxy.Server, limits);
        }

        return proxy;
    }

    private protected static Task<RawHttp1Client> ConnectAsync(ProxyHarness proxy) => RawHttp1Client.ConnectAsync(proxy.Server.HttpPort);
}

/// <summary>
/// Gives the traffic listener's Kestrel the timeouts of an <see cref="Http1Limits"/>. ProxyServer
/// hard-codes Kestrel's (keep-alive 75 s, request headers 30 s) and offers no option for them; Kestrel
/// reads both from its options object each time it accepts a connection, so changing that object
/// after start applies to every connection made afterwards. The object is reached through ProxyServer's
/// private traffic application, by reflection: if that field is renamed this fails loudly rather than
/// letting a timeout test wait on Kestrel's defaults.
/// </summary>
internal static class KestrelTrafficLimits
{
    public static void Mirror(ProxyServer server, Http1Limits limits)
    {
        var field = typeof(ProxyServer).GetField("_traffic", System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic)
            ?? throw new InvalidOperationException("ProxyServer has no _traffic field any more: update KestrelTrafficLimits");
        var app = field.GetValue(server) as WebApplication
            ?? throw new InvalidOperationException("ProxyServer._traffic is not a started WebApplication");
        var kestrel = app.Services.GetRequiredService<IOptions<KestrelServerOptions>>().Value;
        kestrel.Limits.KeepAliveTimeout = limits.KeepAliveTimeout;
        kestrel.Limits.RequestHeadersTimeout = limits.HeadersTimeout;
    }
}
