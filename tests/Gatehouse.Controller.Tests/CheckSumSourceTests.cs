using System.Text.Json.Nodes;
using Gatehouse.Controller.Kubernetes.Client;
using Gatehouse.Controller.Kubernetes.Models;
using Gatehouse.Controller.Sources;
using Gatehouse.Tests.FakeApiServer;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gatehouse.Tests;

/// <summary>The API source watches the checksum resources only when a check is on, in the group the flag names.</summary>
public sealed class CheckSumSourceTests : IAsyncLifetime
{
    private const string TengineIngressCheckSums = "/apis/tengine.taobao.org/v1/ingresschecksums";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private FakeKubernetesApiServer _server = null!;
    private KubernetesApiClient _client = null!;

    public async Task InitializeAsync()
    {
        _server = await FakeKubernetesApiServer.StartAsync();
        _client = new KubernetesApiClient(new KubernetesClientConfiguration { Server = _server.BaseAddress });
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task Tengine_checksum_resources_are_listed_and_watched_into_the_snapshot()
    {
        _server.Store.Upsert(TengineIngressCheckSums, CheckSum("first", "aaaa"));
        await using var source = new KubernetesResourceSource(_client, "fake", null, new InformerOptions(), NullLoggerFactory.Instance,
            checkSums: new CheckSumWatch(CheckSumResource.TengineGroup, Ingresses: true, Secrets: false));
        var updated = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        source.Changed += (_, snapshot) =>
        {
            if (snapshot.IngressCheckSums.TryGetValue("default/first", out var cr) && cr.Spec?.Checksum == "bbbb")
            {
                updated.TrySetResult();
            }
        };

        await source.StartAsync(CancellationToken.None).WaitAsync(Timeout);

        Assert.Contains(TengineIngressCheckSums, source.Paths);
        Assert.DoesNotContain(source.Paths, p => p.Contains("secretchecksums", StringComparison.Ordinal));
        var first = source.Current.IngressCheckSums["default/first"];
        Assert.Equal(("aaaa", "1-1,2-1"), (first.Spec!.Checksum, first.Spec.Ids));

        _server.Store.Upsert(TengineIngressCheckSums, CheckSum("first", "bbbb"));
        await updated.Task.WaitAsync(Timeout);
    }

    [Fact]
    public async Task Without_a_check_no_checksum_resource_is_requested()
    {
        await using var source = new KubernetesResourceSource(_client, "fake", null, new InformerOptions(), NullLoggerFactory.Instance);

        await source.StartAsync(CancellationToken.None).WaitAsync(Timeout);

        Assert.DoesNotContain(source.Paths, p => p.Contains("checksums", StringComparison.Ordinal));
        Assert.Equal(0, _server.ListRequests(TengineIngressCheckSums));
        Assert.Empty(source.Current.IngressCheckSums);
    }

    private static JsonObject CheckSum(string name, string checksum) => new()
    {
        ["apiVersion"] = "tengine.taobao.org/v1",
        ["kind"] = "IngressCheckSum",
        ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = "default" },
        ["spec"] = new JsonObject { ["timestamp"] = "2026-11-22T07:00:00Z", ["checksum"] = checksum, ["ids"] = "1-1,2-1" },
    };
}
