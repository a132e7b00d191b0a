extern alias dump;

using Gatehouse.Model;
using Gatehouse.Tests.Golden;
using ConfigDiffer = dump::Gatehouse.Dump.Diff.ConfigDiffer;

namespace Gatehouse.Tests.Channel;

public sealed class ConfigDifferTests
{
    [Fact]
    public void EqualConfigsHaveNoDifferences()
    {
        var diff = ConfigDiffer.Compare(GoldenConfig.Create(), GoldenConfig.Create() with { Generation = 99 });
        Assert.True(diff.IsEmpty);
        Assert.False(diff.HasRoutingChanges);
    }

    [Fact]
    public void OrderAloneIsNotAChange()
    {
        var config = GoldenConfig.Create();
        var shuffled = config with { Hosts = [.. config.Hosts.Reverse()], Backends = [.. config.Backends.Reverse()] };
        Assert.True(ConfigDiffer.Compare(config, shuffled).IsEmpty);
    }

    [Fact]
    public void EveryKindOfChangeIsFound()
    {
        var before = GoldenConfig.Create();
        var shop = before.Hosts.Single(h => h.Host == "shop.example.com");
        var api = before.Backends.Single(b => b.Name == "shop/api:http");
        var certificate = before.Certificates[0];
        var after = before with
        {
            PublishedBy = "gatehouse-controller 2",
            DefaultBackend = null,
            Hosts = before.Hosts
                .Remove(before.Hosts.Single(h => h.Host == "*.example.com"))
                .Replace(shop, shop with
                {
                    Certificate = null,
                    Routes =
                    [
                        shop.Routes[0] with { Backend = "shop/grpc:grpc" },        // /api/v1/health Exact: changed
                        shop.Routes[2],                                          // /api Prefix: same
                        new RouteConfig { Path = "/new", Match = PathMatch.Exact, Backend = "default/web:80", Ingress = "shop/new" },
                    ],                                                           // /static removed
                })
                .Add(new VirtualHostConfig { Host = "new.example.com" }),
            Backends = before.Backends
                .Remove(before.Backends.Single(b => b.Name == "shop/drained:8080"))
                .Replace(api, api with
                {
                    Protocol = BackendProtocol.Http,
                    Endpoints = [api.Endpoints[0], new EndpointConfig("fd00::2", 443)],
                })
                .Add(new BackendConfig { Name = "z/new:80" }),
            Certificates =
            [
                certificate with { CertificatePem = "-----BEGIN CERTIFICATE-----\nNEW\n-----END CERTIFICATE-----\n", PrivateKeyPem = "NEW-SECRET", Hosts = ["shop.example.com", "new.example.com"] },
                new CertificateConfig { Name = "z/tls", CertificatePem = "C", PrivateKeyPem = "K" },
            ],
        };

        var diff = ConfigDiffer.Compare(before, after);

        Assert.True(diff.HasRoutingChanges);
        Assert.Null(diff.Schema);
        Assert.Equal(("gatehouse-controller 1.1.0-golden", "gatehouse-controller 2"), (diff.PublishedBy!.From, diff.PublishedBy.To));
        Assert.Equal(("default/web:80", (string?)null), (diff.DefaultBackend!.From, diff.DefaultBackend.To));
        Assert.Equal(["new.example.com"], diff.HostsAdded);
        Assert.Equal(["*.example.com"], diff.HostsRemoved);

        var host = Assert.Single(diff.HostsChanged);
        Assert.Equal("shop.example.com", host.Host);
        Assert.Equal(("shop/wildcard-tls", (string?)null), (host.Certificate!.From, host.Certificate.To));
        Assert.Equal("/new", Assert.Single(host.RoutesAdded).Path);
        Assert.Equal("/static", Assert.Single(host.RoutesRemoved).Path);
        var route = Assert.Single(host.RoutesChanged);
        Assert.Equal(("/api/v1/health", PathMatch.Exact), (route.Path, route.Match));
        Assert.Equal(("shop/api:http", "shop/grpc:grpc"), (route.Backend!.From, route.Backend.To));
        Assert.Null(route.Ingress);

        Assert.Equal(["z/new:80"], diff.BackendsAdded);
        Assert.Equal(["shop/drained:8080"], diff.BackendsRemoved);
        var backend = Assert.Single(diff.BackendsChanged);
        var field = Assert.Single(backend.Fields);
        Assert.Equal(("protocol", "Https", "Http"), (field.Key, field.Value.From, field.Value.To));
        Assert.Equal([new EndpointConfig("fd00::2", 443)], backend.EndpointsAdded);
        Assert.Equal([new EndpointConfig("fd00::1", 443)], backend.EndpointsRemoved);

        Assert.Equal(["z/tls"], diff.CertificatesAdded);
        Assert.Empty(diff.CertificatesRemoved);
        var cert = Assert.Single(diff.CertificatesChanged);
        Assert.True(cert.CertificatePemChanged);
        Assert.Equal(["new.example.com"], cert.HostsAdded);
        Assert.Equal(["*.example.com"], cert.HostsRemoved);
    }

    [Fact]
    public void PolicyChangesInsideHostsAndRoutesAreNamed()
    {
        var before = GoldenConfig.Create();
        var shop = before.Hosts[2];
        var api = shop.Routes[2];
        var after = before with
        {
            Hosts = before.Hosts.SetItem(2, shop with
            {
                Tls = shop.Tls! with { Protocols = ["TLSv1.3"] },
                Routes = shop.Routes.SetItem(2, api with
                {
                    Canaries = api.Canaries.SetItem(1, api.Canaries[1] with { Weight = 50 }),
                    AccessLog = false,
                }),
            }),
        };

        var diff = ConfigDiffer.Compare(before, after);

        Assert.True(diff.HasRoutingChanges);
        var host = Assert.Single(diff.HostsChanged);
        Assert.Equal(["tls"], host.PoliciesChanged);
        var route = Assert.Single(host.RoutesChanged);
        Assert.Equal("/api", route.Path);
        Assert.Null(route.Backend);
        Assert.Equal(["canaries", "accessLog"], route.PoliciesChanged);
    }

    [Fact]
    public void OnlyPublisherAndHashChangesAreNotRoutingChanges()
    {
        var diff = ConfigDiffer.Compare(GoldenConfig.Create(), GoldenConfig.Create() with { PublishedBy = "x", ConfigHash = "y" });
        Assert.False(diff.IsEmpty);
        Assert.False(diff.HasRoutingChanges);
    }
}
