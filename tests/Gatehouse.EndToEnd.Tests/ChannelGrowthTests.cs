using System.Collections.Immutable;
using System.Diagnostics;
using System.Net;
using Gatehouse.Channel;
using Gatehouse.Model;
using Gatehouse.Serialization;
using Gatehouse.Tests.EndToEnd.Infrastructure;
using Xunit.Abstractions;

namespace Gatehouse.Tests.EndToEnd;

/// <summary>
/// A proxy process that has served a small config picks up a 100,000-host config whose blob no
/// longer fits the file's initial slots, so the writer grows the file under the reader.
/// </summary>
public sealed class ChannelGrowthTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Hosts = 100_000;
    private const int Certificates = 1_000;

    private GatehouseStack _stack = null!;

    public async Task InitializeAsync()
    {
        _stack = GatehouseStack.Create();
        await _stack.StartEchoAsync("echo-a");
    }

    public async Task DisposeAsync() => await _stack.DisposeAsync();

    [Fact]
    public async Task A_running_proxy_follows_the_file_as_it_grows_to_a_100k_host_config()
    {
        var backend = new BackendConfig
        {
            Name = "default/echo:http",
            Endpoints = [new EndpointConfig("127.0.0.1", _stack.EchoPort("echo-a"))],
        };

        // The test is the controller here: it writes with the same writer and codec.
        using var writer = ConfigChannelWriter.Open(_stack.ChannelPath);
        writer.Publish(ConfigSerializer.Serialize(Config(1, backend)), SchemaVersion.Current);
        var smallLength = new FileInfo(_stack.ChannelPath).Length;

        await _stack.StartProxyAsync();
        Assert.Equal(HttpStatusCode.OK, (await _stack.SendAsync(HostName(0), "/")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await _stack.SendAsync(HostName(Hosts - 1), "/")).Status);
        var small = await _stack.ProxyGenerationAsync();

        var watch = Stopwatch.StartNew();
        var payload = ConfigSerializer.Serialize(Config(Hosts, backend));
        var generation = writer.Publish(payload, SchemaVersion.Current);
        var grownLength = new FileInfo(_stack.ChannelPath).Length;
        Assert.True(grownLength > smallLength + payload.Length, $"the file did not grow: {smallLength} → {grownLength} bytes for a {payload.Length}-byte blob");

        Assert.Equal(generation, await _stack.WaitForGenerationAfterAsync(small));
        var applied = watch.Elapsed;
        var (status, echo, _) = await _stack.SendAsync(HostName(Hosts - 1), "/");
        Assert.Equal((HttpStatusCode.OK, "echo-a"), (status, echo));
        var config = await _stack.ProxyConfigAsync();
        Assert.Equal(Hosts, config.GetProperty("hosts").GetInt32());
        Assert.Empty(ProxyLog.Rejections(_stack.Proxy!.Output));
        output.WriteLine($"{payload.Length / 1024.0 / 1024.0:0.0} MiB blob, file {smallLength} → {grownLength} bytes, applied {applied.TotalMilliseconds:0} ms after publish");
    }

    private static string HostName(int index) => $"host-{index:D5}.grow.example.com";

    private static GatehouseConfig Config(int hosts, BackendConfig backend)
    {
        var hostConfigs = ImmutableArray.CreateBuilder<VirtualHostConfig>(hosts);
        for (var i = 0; i < hosts; i++)
        {
            hostConfigs.Add(new VirtualHostConfig
            {
                Host = HostName(i),
                Routes = [new RouteConfig { Path = "/", Match = PathMatch.Prefix, Backend = backend.Name }],
                Certificate = hosts > 1 ? $"default/tls-{i % Certificates}" : null,
            });
        }

        var certificates = ImmutableArray.CreateBuilder<CertificateConfig>();
        for (var c = 0; hosts > 1 && c < Certificates; c++)
        {
            // Dummy PEM text: the channel carries it opaquely, nothing parses it on this path.
            certificates.Add(new CertificateConfig
            {
                Name = $"default/tls-{c}",
                CertificatePem = "-----BEGIN CERTIFICATE-----\n" + new string('A', 1200) + "\n-----END CERTIFICATE-----\n",
                PrivateKeyPem = "-----BEGIN PRIVATE KEY-----\n" + new string('B', 1600) + "\n-----END PRIVATE KEY-----\n",
                Hosts = [HostName(c)],
            });
        }

        return new GatehouseConfig
        {
            Hosts = hostConfigs.MoveToImmutable(),
            Backends = [backend],
            Certificates = certificates.ToImmutable(),
        };
    }
}
