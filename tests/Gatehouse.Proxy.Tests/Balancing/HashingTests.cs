using Gatehouse.Proxy.Balancing;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Tests.Balancing;

public sealed class HashingTests
{
    private static string[] Endpoints(int count) => [.. Enumerable.Range(1, count).Select(i => $"10.0.0.{i}:8080")];

    [Fact]
    public void Adding_an_endpoint_moves_only_about_its_share_of_keys()
    {
        var before = new HashRing(Endpoints(10));
        var after = new HashRing(Endpoints(11));
        var moved = 0;
        var perEndpoint = new int[11];
        const int keys = 20_000;
        for (var k = 0; k < keys; k++)
        {
            var hash = StableHash.Finish(StableHash.Add(StableHash.Start(), $"/item/{k}"));
            var owner = after.Lookup(hash);
            perEndpoint[owner]++;
            if (before.Lookup(hash) != owner)
            {
                moved++;

                // A key that moves can only move to the new endpoint.
                Assert.Equal(10, owner);
            }
        }

        // Ideal is 1/11 (9.1%); a ring with 160 points per endpoint stays well under 15%.
        Assert.InRange(moved, keys / 25, keys * 15 / 100);
        Assert.All(perEndpoint, count => Assert.InRange(count, keys / 11 / 2, keys / 11 * 2));
    }

    [Fact]
    public void Removing_an_endpoint_keeps_every_other_key_in_place()
    {
        var all = Endpoints(5);
        var before = new HashRing(all);
        var after = new HashRing([.. all.Where((_, i) => i != 2)]);
        for (var k = 0; k < 5_000; k++)
        {
            var hash = StableHash.Finish(StableHash.Add(StableHash.Start(), k.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            var owner = before.Lookup(hash);
            if (owner != 2)
            {
                Assert.Equal(all[owner], all.Where((_, i) => i != 2).ElementAt(after.Lookup(hash)));
            }
        }
    }

    [Fact]
    public void Hash_keys_combine_variables_and_ignore_everything_else()
    {
        var key = HashKey.TryCompile("$host-$arg_id-$http_x_user-${cookie_sid}")!;
        var a = Context("Shop.Test:8080", "/x?id=7&z=1", ("X-User", "u1"), ("Cookie", "a=1; sid=s9"));
        var b = Context("shop.test", "/other?z=2&id=7", ("X-User", "u1"), ("Cookie", "sid=s9"), ("X-Ignored", "1"));
        var c = Context("shop.test", "/x?id=8", ("X-User", "u1"), ("Cookie", "sid=s9"));
        Assert.Equal(key.Compute(a), key.Compute(b));
        Assert.NotEqual(key.Compute(a), key.Compute(c));

        var uri = HashKey.TryCompile("$request_uri")!;
        Assert.NotEqual(uri.Compute(a), uri.Compute(b));
        Assert.Null(HashKey.TryCompile("$nope"));
    }

    private static DefaultHttpContext Context(string host, string pathAndQuery, params (string Name, string Value)[] headers)
    {
        var context = new DefaultHttpContext();
        context.Request.Host = new HostString(host);
        var q = pathAndQuery.IndexOf('?');
        context.Request.Path = q < 0 ? pathAndQuery : pathAndQuery[..q];
        context.Request.QueryString = q < 0 ? QueryString.Empty : new QueryString(pathAndQuery[q..]);
        foreach (var (name, value) in headers)
        {
            context.Request.Headers.Append(name, value);
        }

        return context;
    }
}
