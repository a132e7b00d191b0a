using Gatehouse.Controller.Publishing;
using Gatehouse.Model;

namespace Gatehouse.Tests;

public sealed class ConfigEqualityTests
{
    private static GatehouseConfig Config(Func<RouteConfig, RouteConfig> route) => new()
    {
        Hosts = [new VirtualHostConfig { Host = "a.example.com", Routes = [route(new RouteConfig { Path = "/", Backend = "ns/svc:80" })] }],
        Backends = [new BackendConfig { Name = "ns/svc:80" }],
    };

    [Fact]
    public void RebuiltEqualConfigsAreEqualWhateverTheGeneration()
    {
        var canary = (RouteConfig r) => r with { Canaries = [new CanaryConfig { Backend = "ns/canary:80", HeaderValues = ["a", "b"] }] };
        Assert.True(ConfigEquality.ContentEquals(Config(canary), Config(canary) with { Generation = 9, PublishedBy = "x", ConfigHash = "y" }));
    }

    [Fact]
    public void PolicyChangesNestedInsideRoutesAreChanges()
    {
        var baseline = Config(r => r with { Canaries = [new CanaryConfig { Backend = "ns/canary:80", HeaderValues = ["a"] }] });
        Assert.False(ConfigEquality.ContentEquals(baseline, Config(r => r with { Canaries = [new CanaryConfig { Backend = "ns/canary:80", HeaderValues = ["b"] }] })));
        Assert.False(ConfigEquality.ContentEquals(baseline, Config(r => r with { Canaries = [new CanaryConfig { Backend = "ns/canary:80", HeaderValues = ["a"], Weight = 1 }] })));
        Assert.False(ConfigEquality.ContentEquals(Config(r => r), Config(r => r with { AccessLog = false })));
        Assert.False(ConfigEquality.ContentEquals(Config(r => r), Config(r => r with { Upstream = new UpstreamPolicyConfig { ReadTimeoutMs = 5 } })));
        Assert.False(ConfigEquality.ContentEquals(Config(r => r), Config(r => r) with { AppliedObjects = [new AppliedObjectConfig { Kind = "Ingress", Name = "ns/a", Revision = "1" }] }));
    }
}
