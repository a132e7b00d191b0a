using Gatehouse.MessagePack;
using Gatehouse.Model;
using Gatehouse.Serialization;

namespace Gatehouse.Tests.Serialization;

/// <summary>
/// Decoding through a <see cref="ConfigDecodeCache"/> gives exactly what a plain decode gives, and
/// hands back the earlier instance of every host and backend whose encoding did not change.
/// </summary>
public sealed class ConfigDecodeCacheTests
{
    private static GatehouseConfig Config(IEnumerable<(string Host, string Path, string Backend)> hosts, IEnumerable<(string Name, int Port)> backends) => new()
    {
        Hosts = [.. hosts.Select(h => new VirtualHostConfig { Host = h.Host, Routes = [new RouteConfig { Path = h.Path, Match = PathMatch.Prefix, Backend = h.Backend }] })],
        Backends = [.. backends.Select(b => new BackendConfig { Name = b.Name, Endpoints = [new EndpointConfig("10.0.0.1", b.Port)] })],
    };

    [Fact]
    public void A_long_run_of_changes_decodes_as_without_the_cache_and_keeps_unchanged_instances()
    {
        var random = new Random(4);
        var hosts = Enumerable.Range(0, 50).Select(i => (Host: $"h{i}.test", Path: "/", Backend: $"b{i % 5}")).ToList();
        var backends = Enumerable.Range(0, 5).Select(i => (Name: $"b{i}", Port: 8000 + i)).ToList();
        var cache = new ConfigDecodeCache();
        GatehouseConfig? previous = null;
        List<(string, string, string)>? previousHosts = null;
        List<(string, int)>? previousBackends = null;

        for (var step = 0; step < 40; step++)
        {
            if (step > 0)
            {
                for (var k = random.Next(0, 4); k > 0; k--)
                {
                    var i = random.Next(hosts.Count);
                    hosts[i] = hosts[i] with { Path = $"/v{step}" };
                }

                if (random.Next(3) == 0)
                {
                    var i = random.Next(backends.Count);
                    backends[i] = backends[i] with { Port = 9000 + step };
                }

                if (random.Next(4) == 0)
                {
                    hosts.RemoveAt(random.Next(hosts.Count));
                    hosts.Insert(random.Next(hosts.Count), ($"new{step}.test", "/", "b0"));
                }
            }

            var payload = ConfigSerializer.Serialize(Config(hosts, backends));
            var cached = ConfigSerializer.Deserialize(payload, cache);
            ConfigAssert.Equal(ConfigSerializer.Deserialize(payload), cached);

            if (previous is not null)
            {
                foreach (var host in cached.Hosts)
                {
                    var before = previous.Hosts.FirstOrDefault(h => h.Host == host.Host);
                    var unchanged = previousHosts!.Contains(hosts.First(h => h.Host == host.Host));
                    Assert.Equal(unchanged, ReferenceEquals(before, host));
                }

                foreach (var backend in cached.Backends)
                {
                    var before = previous.Backends.Single(b => b.Name == backend.Name);
                    Assert.Equal(previousBackends!.Contains(backends.Single(b => b.Name == backend.Name)), ReferenceEquals(before, backend));
                }
            }

            previous = cached;
            previousHosts = [.. hosts];
            previousBackends = [.. backends];
        }
    }

    [Fact]
    public void A_blob_that_fails_to_decode_leaves_the_last_good_one_to_compare_with()
    {
        var cache = new ConfigDecodeCache();
        var good = ConfigSerializer.Serialize(Config([("a.test", "/", "b"), ("b.test", "/", "b")], [("b", 80)]));
        var first = ConfigSerializer.Deserialize(good, cache);

        // Same hosts, then cut short inside the backends array.
        var next = ConfigSerializer.Serialize(Config([("a.test", "/", "b"), ("b.test", "/x", "b")], [("b", 80)]));
        Assert.ThrowsAny<MessagePackFormatException>(() => ConfigSerializer.Deserialize(next[..^3], cache));

        var third = ConfigSerializer.Deserialize(next, cache);
        Assert.Same(first.Hosts[0], third.Hosts[0]);
        Assert.NotSame(first.Hosts[1], third.Hosts[1]);
        Assert.Same(first.Backends[0], third.Backends[0]);
        Assert.Equal(2, cache.LastReused);
        Assert.Equal("/x", third.Hosts[1].Routes[0].Path);
    }
}
