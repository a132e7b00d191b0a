using System.Net;
using System.Text.Json;
using Gatehouse.Controller;
using Gatehouse.Controller.Admin;
using Gatehouse.Controller.Publishing;
using Gatehouse.Controller.Telemetry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Tests;

/// <summary>/metrics on the controller's admin listener, driven by real control loop passes.</summary>
public sealed class ControllerMetricsTests
{
    private static readonly ControllerOptions Options = new()
    {
        ManifestsDirectory = "/m",
        ChannelPath = "/c",
        Debounce = TimeSpan.FromMilliseconds(20),
    };

    // Service "web" does not exist, so the Ingress is published with one backend_unresolved rejection.
    private static readonly Gatehouse.Controller.Sources.ResourceSnapshot Snapshot = Snapshots.FromYaml("""
        apiVersion: networking.k8s.io/v1
        kind: IngressClass
        metadata: {name: gatehouse}
        spec: {controller: gatehouse.io/ingress-controller}
        ---
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata: {name: web}
        spec:
          ingressClassName: gatehouse
          rules:
            - host: a.test
              http:
                paths:
                  - path: /
                    pathType: Prefix
                    backend:
                      service:
                        name: web
                        port: {number: 80}
        """);

    [Fact]
    public async Task PublishShowsGenerationOutcomesObjectsAndRejections()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        builder.Services.AddSingleton<ControllerState>();
        builder.Services.AddControllerMetrics();
        await using var app = builder.Build();
        app.MapAdminEndpoints();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        using var client = new HttpClient { BaseAddress = new Uri(address) };

        var source = new FakeSource { HasSynced = false };
        source.Set(Snapshot);
        var loop = new ControllerLoop(
            [source],
            new ConfigPublisher(new RecordingSink()),
            app.Services.GetRequiredService<ControllerState>(),
            Options,
            new TestLogger<ControllerLoop>(),
            metrics: app.Services.GetRequiredService<ControllerMetrics>());

        Assert.True(loop.RunOnce()); // not synced yet
        source.HasSynced = true;
        Assert.True(loop.RunOnce()); // publishes generation 1
        Assert.True(loop.RunOnce()); // same content: unchanged
        source.LastReadComplete = false;
        source.Set(Gatehouse.Controller.Sources.ResourceSnapshot.Empty);
        Assert.True(loop.RunOnce()); // empty after an incomplete read: refused
        source.LastReadComplete = true;
        source.Set(Snapshot);
        Assert.True(loop.RunOnce()); // readable again, same content as generation 1: unchanged

        using var response = await client.GetAsync(new Uri("/metrics", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", response.Content.Headers.ContentType!.ToString());
        var text = await response.Content.ReadAsStringAsync();

        Assert.Contains("# TYPE gatehouse_controller_generation_published gauge\ngatehouse_controller_generation_published 1\n", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE gatehouse_controller_publishes_total counter\n", text, StringComparison.Ordinal);
        Assert.Contains("gatehouse_controller_publishes_total{outcome=\"not_synced\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("gatehouse_controller_publishes_total{outcome=\"published\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("gatehouse_controller_publishes_total{outcome=\"unchanged\"} 2\n", text, StringComparison.Ordinal);
        Assert.Contains("gatehouse_controller_publishes_total{outcome=\"refused_empty\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("gatehouse_controller_publish_duration_seconds_count 1\n", text, StringComparison.Ordinal);
        Assert.Contains("gatehouse_controller_objects{kind=\"Ingress\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("gatehouse_controller_objects{kind=\"IngressClass\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("gatehouse_controller_objects{kind=\"Service\"} 0\n", text, StringComparison.Ordinal);
        Assert.Contains("gatehouse_controller_served{kind=\"Ingress\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("gatehouse_controller_served{kind=\"Secret\"} 0\n", text, StringComparison.Ordinal);
        Assert.Contains("gatehouse_controller_rejections{kind=\"Ingress\",reason_code=\"backend_unresolved\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("gatehouse_controller_last_sync_timestamp_seconds ", text, StringComparison.Ordinal);

        // The same code is in /config, next to the free-text reason.
        using var config = JsonDocument.Parse(await client.GetStringAsync(new Uri("/config", UriKind.Relative)));
        var rejection = Assert.Single(config.RootElement.GetProperty("rejections").EnumerateArray().ToList());
        Assert.Equal("backend_unresolved", rejection.GetProperty("code").GetString());

        // Served objects are counted when scraped: a later config is counted afresh, not the first one again.
        source.Set(Gatehouse.Controller.Sources.ResourceSnapshot.Empty);
        Assert.True(loop.RunOnce()); // a complete read without the Ingress: published, serving nothing
        var later = await client.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        Assert.Contains("gatehouse_controller_generation_published 2\n", later, StringComparison.Ordinal);
        Assert.Contains("gatehouse_controller_served{kind=\"Ingress\"} 0\n", later, StringComparison.Ordinal);

        await app.StopAsync();
    }

    [Fact]
    public async Task AFailedPassIsCounted()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        builder.Services.AddSingleton<ControllerState>();
        builder.Services.AddControllerMetrics();
        await using var app = builder.Build();
        app.MapAdminEndpoints();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        using var client = new HttpClient { BaseAddress = new Uri(address) };

        var source = new FakeSource { HasSynced = true };
        source.Set(Snapshot);
        var loop = new ControllerLoop(
            [source],
            new ConfigPublisher(new RecordingSink { FailWith = new IOException("disk full") }),
            app.Services.GetRequiredService<ControllerState>(),
            Options,
            new TestLogger<ControllerLoop>(),
            metrics: app.Services.GetRequiredService<ControllerMetrics>());

        Assert.False(loop.RunOnce());
        var text = await client.GetStringAsync(new Uri("/metrics", UriKind.Relative));

        Assert.Contains("gatehouse_controller_publishes_total{outcome=\"failed\"} 1\n", text, StringComparison.Ordinal);
        Assert.DoesNotContain("outcome=\"published\"", text, StringComparison.Ordinal);
        Assert.DoesNotContain("gatehouse_controller_generation_published", text, StringComparison.Ordinal);

        await app.StopAsync();
    }
}
