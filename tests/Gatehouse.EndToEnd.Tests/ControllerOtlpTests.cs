using Gatehouse.Tests.EndToEnd.Infrastructure;

namespace Gatehouse.Tests.EndToEnd;

/// <summary>The controller's --otlp-endpoint: its metrics reach an OTLP/HTTP collector.</summary>
public sealed class ControllerOtlpTests
{
    [Fact]
    public async Task The_controller_pushes_its_metrics_over_otlp()
    {
        await using var stack = GatehouseStack.Create();
        await using var collector = await FakeOtlpCollector.StartAsync();
        stack.WriteManifest("class.yaml", Manifests.IngressClass);
        await stack.StartControllerAsync(source: ["--manifests", stack.ManifestsDirectory, "--otlp-endpoint", collector.Url]);

        // A graceful stop pushes a last collection, whatever the export interval.
        await FakeOtlpCollector.StopGracefullyAsync(stack.Controller!);
        collector.AssertReceivedProtobuf("/v1/metrics");
        Assert.DoesNotContain(collector.Received, r => r.Path == "/v1/traces");
    }
}
