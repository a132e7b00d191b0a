using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;
using Gatehouse.Channel;
using Gatehouse.Tests.EndToEnd.Infrastructure;
using Xunit.Abstractions;

namespace Gatehouse.Tests.EndToEnd;

/// <summary>
/// The controller is SIGKILLed at random moments while it publishes, over and over, with one proxy
/// process reading the channel throughout: the proxy must never see a torn or corrupt config, and
/// generations must keep growing across controller restarts (docs/channel.md, rules 2 and 6).
/// </summary>
public sealed partial class ChannelCrashTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Kills = 100;

    /// <summary>Upper bound of the random delay between a controller's first publish and its kill.</summary>
    private const int MaxKillDelayMilliseconds = 150;

    private const string Host = "crash.example.com";

    private static readonly TimeSpan RewriteInterval = TimeSpan.FromMilliseconds(5);

    private GatehouseStack _stack = null!;

    public async Task InitializeAsync()
    {
        _stack = GatehouseStack.Create();
        await _stack.StartEchoIngressAsync(Host, "/p0");

        // 1 ms debounce: every rewrite below becomes a publish, so kills land mid-publish often.
        await _stack.StartControllerAsync(debounceMilliseconds: 1);
        await _stack.StartProxyAsync();
    }

    public async Task DisposeAsync() => await _stack.DisposeAsync();

    [Fact]
    public async Task Killing_the_controller_while_it_publishes_never_tears_the_proxys_config()
    {
        var watch = Stopwatch.StartNew();
        // Seeded so a failing run can be replayed: GATEHOUSE_CRASH_SEED=<seed from the failure message>.
        var seed = int.TryParse(Environment.GetEnvironmentVariable("GATEHOUSE_CRASH_SEED"), out var fixedSeed)
            ? fixedSeed
            : Random.Shared.Next();
        var random = new Random(seed);
        using var stopRewriting = new CancellationTokenSource();
        var rewriter = RewriteContinuouslyAsync(stopRewriting.Token);
        var published = 0L;

        for (var kill = 0; kill < Kills; kill++)
        {
            await Task.Delay(random.Next(MaxKillDelayMilliseconds + 1));
            await _stack.KillControllerAsync();
            var before = ConfigChannelReader.ReadHeader(_stack.ChannelPath).Generation;

            // Not waiting for /readyz: the first "Published" line is sooner, and proves the new
            // controller continued the file rather than re-initialising it.
            await _stack.StartControllerAsync(debounceMilliseconds: 1, waitForReady: false);
            var line = await _stack.Controller!.WaitForLineAsync("Published config generation", GatehouseStack.Patience);
            var generation = long.Parse(PublishedPattern().Match(line).Groups[1].Value);
            Assert.True(generation > before, $"seed {seed}, restart {kill}: header generation was {before} before, the new controller published {generation}");
            Assert.True(ConfigChannelReader.ReadHeader(_stack.ChannelPath).Generation >= generation);
            published = generation;
        }

        await stopRewriting.CancelAsync();
        await rewriter;

        // After the last restart, one more change must reach the proxy and be served.
        _stack.WriteManifest("ingress.yaml", Manifests.Ingress("web", Host, ("/final", "Prefix", "svc-a")));
        await _stack.WaitUntilAsync(async () => (await _stack.SendAsync(Host, "/final")).Status == HttpStatusCode.OK,
            "the final change to be served", _stack.Proxy);

        var proxyOutput = _stack.Proxy!.Output;
        Assert.False(_stack.Proxy.HasExited, "the proxy died:\n" + proxyOutput);
        Assert.True(ProxyLog.Rejections(proxyOutput).Count == 0, $"seed {seed}: the proxy rejected a config:\n{proxyOutput}");

        // Strictly increasing, within one instance: a crash never makes the writer re-initialise
        // the file, and the proxy never applies an old or repeated generation.
        var applied = ProxyLog.Applied(proxyOutput);
        Assert.True(applied.Count > 1, "the proxy applied only " + applied.Count + " generations:\n" + proxyOutput);
        Assert.Single(applied.Select(a => a.Instance).Distinct());
        for (var i = 1; i < applied.Count; i++)
        {
            Assert.True(applied[i].Generation > applied[i - 1].Generation,
                $"applied generation {applied[i].Generation} after {applied[i - 1].Generation}");
        }

        Assert.True(applied[^1].Generation > published);
        output.WriteLine($"{Kills} kills, {applied.Count} generations applied (last {applied[^1].Generation}), {watch.Elapsed.TotalSeconds:0.0} s");
    }

    /// <summary>
    /// Rewrites the Ingress with a new path every few milliseconds: each write is a new config. The
    /// folder source reloads at least every 10 debounce periods (10 ms here) under a constant stream
    /// of edits, so writing faster than this would only take CPU from the restarting controllers.
    /// </summary>
    private async Task RewriteContinuouslyAsync(CancellationToken cancellationToken)
    {
        for (var i = 1; !cancellationToken.IsCancellationRequested; i++)
        {
            _stack.WriteManifest("ingress.yaml", Manifests.Ingress("web", Host, ($"/p{i}", "Prefix", "svc-a")));
            try
            {
                await Task.Delay(RewriteInterval, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    [GeneratedRegex(@"Published config generation (\d+)")]
    private static partial Regex PublishedPattern();
}
