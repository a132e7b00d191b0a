using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Gatehouse.Channel;
using Gatehouse.Tests.EndToEnd.Infrastructure;
using Xunit.Abstractions;

namespace Gatehouse.Tests.EndToEnd;

/// <summary>
/// The channel file is damaged under a running proxy process while the controller is down: the
/// proxy keeps serving its last good table, logs the bad state exactly once and reports it on
/// /config; a restarted controller repairs (re-initialises) the file and the proxy follows it.
/// </summary>
public sealed class ChannelCorruptionTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Host = "corrupt.example.com";

    /// <summary>How long the proxy gets (at a 20 ms poll interval) to log a second line if it would.</summary>
    private static readonly TimeSpan RepeatWindow = TimeSpan.FromMilliseconds(300);

    private GatehouseStack _stack = null!;

    public async Task InitializeAsync()
    {
        _stack = GatehouseStack.Create();
        await _stack.StartEchoIngressAsync(Host, "/v1");
        await _stack.StartControllerAsync();
        await _stack.StartProxyAsync();

        // A few generations, so that a re-initialised file's generation 1 is visibly lower.
        for (var version = 2; version <= 3; version++)
        {
            var before = await _stack.ProxyGenerationAsync();
            _stack.WriteManifest("ingress.yaml", Manifests.Ingress("web", Host, ($"/v{version}", "Prefix", "svc-a")));
            await _stack.WaitForGenerationAfterAsync(before);
        }
    }

    public async Task DisposeAsync() => await _stack.DisposeAsync();

    public static TheoryData<string, string, bool> Damages => new()
    {
        // damage, reason the proxy reports, whether the controller must re-initialise the file
        { "flip-payload-byte", "crc", false },
        { "truncate", "truncated", true },
        { "zero", "magic", true },
        { "random-bytes", "magic", true },
        { "wrong-magic", "magic", true },
        { "wrong-layout-version", "layout_version", true },
    };

    [Theory]
    [MemberData(nameof(Damages))]
    public async Task The_proxy_keeps_serving_reports_once_and_follows_the_repaired_file(string damage, string reason, bool reinitialised)
    {
        var watch = Stopwatch.StartNew();
        await _stack.KillControllerAsync();
        var good = await _stack.ProxyConfigAsync();
        var goodGeneration = good.GetProperty("generation").GetInt64();
        var goodInstance = good.GetProperty("instanceId").GetGuid();
        Assert.Equal(JsonValueKind.Null, good.GetProperty("lastRejection").ValueKind);

        Damage(damage);

        await _stack.WaitUntilAsync(async () => (await _stack.ProxyConfigAsync()).GetProperty("lastRejection") is { ValueKind: JsonValueKind.Object } r
            && r.GetProperty("reason").GetString() == reason, $"the proxy to report '{reason}'", _stack.Proxy);

        // A repeated log line cannot be awaited; give the proxy many polls to (wrongly) print one.
        await Task.Delay(RepeatWindow);
        var rejection = Assert.Single(ProxyLog.Rejections(_stack.Proxy!.Output));
        Assert.Contains($"({reason})", rejection, StringComparison.Ordinal);

        // The last good table still serves, and /config still describes it.
        Assert.Equal(HttpStatusCode.OK, (await _stack.SendAsync(Host, "/v3")).Status);
        var serving = await _stack.ProxyConfigAsync();
        Assert.Equal(goodGeneration, serving.GetProperty("generation").GetInt64());
        Assert.Equal(HttpStatusCode.OK, await _stack.AdminStatusAsync(_stack.ProxyAdminPort, "/readyz"));

        // The controller repairs the file; the proxy takes the repaired file's first blob.
        await _stack.StartControllerAsync();
        var header = ConfigChannelReader.ReadHeader(_stack.ChannelPath);
        if (reinitialised)
        {
            Assert.NotEqual(goodInstance, header.InstanceId);
            Assert.Equal(1, header.Generation);
        }
        else
        {
            Assert.Equal(goodInstance, header.InstanceId);
            Assert.True(header.Generation > goodGeneration + 1, $"generation {header.Generation} reuses the damaged one");
        }

        await _stack.WaitUntilAsync(async () => (await _stack.ProxyConfigAsync()) is var c
            && c.GetProperty("instanceId").GetGuid() == header.InstanceId
            && c.GetProperty("generation").GetInt64() == header.Generation, "the proxy to apply the repaired file", _stack.Proxy);

        // ...and keeps following it.
        var repairedAt = watch.Elapsed;
        _stack.WriteManifest("ingress.yaml", Manifests.Ingress("web", Host, ("/next", "Prefix", "svc-a")));
        await _stack.WaitUntilAsync(async () => (await _stack.SendAsync(Host, "/next")).Status == HttpStatusCode.OK,
            "the next change to be served", _stack.Proxy);
        var followed = watch.Elapsed - repairedAt;
        Assert.True(followed < TimeSpan.FromSeconds(5), $"the next change took {followed.TotalSeconds:0.0} s");

        // Repairing never showed the proxy a half-initialised file: still the one rejection.
        Assert.Single(ProxyLog.Rejections(_stack.Proxy.Output));
        Assert.False(_stack.Proxy.HasExited);
        output.WriteLine($"{damage}: {watch.Elapsed.TotalSeconds:0.0} s, next change served {followed.TotalMilliseconds:0} ms after repair");
    }

    private void Damage(string damage)
    {
        var path = _stack.ChannelPath;
        switch (damage)
        {
            case "flip-payload-byte":
                ChannelFileCorruption.FlipActivePayloadAsNewGeneration(path);
                break;
            case "truncate":
                // Keeps the header's first bytes, so the proxy has to look at the size, not the magic.
                ChannelFileCorruption.Truncate(path, 1000);
                break;
            case "zero":
                ChannelFileCorruption.Overwrite(path, length => new byte[length]);
                break;
            case "random-bytes":
                ChannelFileCorruption.Overwrite(path, length =>
                {
                    var bytes = new byte[length];
                    Random.Shared.NextBytes(bytes);
                    return bytes;
                });
                break;
            case "wrong-magic":
                ChannelFileCorruption.WriteMagic(path, "NOTMAGIC");
                break;
            case "wrong-layout-version":
                ChannelFileCorruption.WriteLayoutVersion(path, 2);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(damage), damage, null);
        }
    }
}
