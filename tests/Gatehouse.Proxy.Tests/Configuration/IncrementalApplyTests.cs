using Gatehouse.Model;
using Gatehouse.Proxy.Configuration;
using Gatehouse.Proxy.Forwarding;
using Gatehouse.Serialization;
using Microsoft.Extensions.Logging.Abstractions;
using static Gatehouse.Tests.Infrastructure.Configs;

namespace Gatehouse.Tests.Configuration;

/// <summary>
/// A new generation compiles only what changed: hosts decoded to the same instance whose backends are
/// unchanged keep their compiled routes (and thereby their metric series and state); a host that
/// changed, or whose backend changed, is compiled afresh and routes to the new endpoints.
/// </summary>
public sealed class IncrementalApplyTests
{
    private static byte[] Blob(string bPath, int yPort, long generation) => ConfigSerializer.Serialize(Of(
        [
            Host("a.test", Prefix("/", "x")),
            Host("b.test", Prefix(bPath, "x")),
            Host("c.test", Prefix("/", "y")),
        ],
        [Backend("x", new EndpointConfig("10.0.0.1", 80)), Backend("y", new EndpointConfig("10.0.0.2", yPort))],
        generation: generation));

    [Fact]
    public void Only_changed_hosts_and_hosts_of_changed_backends_are_compiled_again()
    {
        using var state = new ProxyConfigState(new ForwarderOptions(), NullLogger.Instance);
        var cache = new ConfigDecodeCache();

        var first = state.Apply(ConfigSerializer.Deserialize(Blob("/", 80, 1), cache));
        var a1 = first.Match("a.test", "/")!;
        var b1 = first.Match("b.test", "/")!;
        var c1 = first.Match("c.test", "/")!;
        Assert.Equal(0, first.ReusedHosts);

        // b.test's path changes; backend y moves to port 81, which concerns c.test.
        var second = state.Apply(ConfigSerializer.Deserialize(Blob("/v2", 81, 2), cache));
        Assert.Same(a1, second.Match("a.test", "/"));
        Assert.Same(first.Backends["x"], second.Backends["x"]);
        Assert.Null(second.Match("b.test", "/"));
        Assert.NotSame(b1, second.Match("b.test", "/v2"));
        var c2 = second.Match("c.test", "/")!;
        Assert.NotSame(c1, c2);
        Assert.Equal(81, c2.Backend.Config.Endpoints.Single().Port);
        Assert.Equal(1, second.ReusedHosts);

        // The same content again (a new generation): everything is reused.
        var third = state.Apply(ConfigSerializer.Deserialize(Blob("/v2", 81, 3), cache));
        Assert.Equal(3, third.ReusedHosts);
        Assert.Same(c2, third.Match("c.test", "/"));

        // Without the decode cache every host is a new object, so nothing is reused (nor wrongly shared).
        var plain = state.Apply(ConfigSerializer.Deserialize(Blob("/v2", 81, 4)));
        Assert.Equal(0, plain.ReusedHosts);
        Assert.NotSame(c2, plain.Match("c.test", "/"));
        Assert.Equal(81, plain.Match("c.test", "/")!.Backend.Config.Endpoints.Single().Port);
    }
}
