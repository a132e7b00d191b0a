using System.Net;
using System.Text.Json;
using Gatehouse.Tests.EndToEnd.Infrastructure;

namespace Gatehouse.Tests.EndToEnd;

/// <summary>
/// Access log lines on a real proxy's stdout, trace context reaching the echo backend, and OTLP
/// export to a fake collector on 127.0.0.1.
/// </summary>
public sealed class ObservabilityTests : IAsyncLifetime
{
    private const string TraceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    private const string ClientSpanId = "00f067aa0ba902b7";

    private GatehouseStack _stack = null!;

    public async Task InitializeAsync()
    {
        _stack = GatehouseStack.Create();
        await _stack.StartEchoIngressAsync("demo.example.com");
        await _stack.StartControllerAsync();
    }

    public async Task DisposeAsync() => await _stack.DisposeAsync();

    [Fact]
    public async Task Every_request_prints_one_json_access_log_line_on_stdout()
    {
        await _stack.StartProxyAsync();
        using var request = _stack.Request("demo.example.com", "/hello/world?secret=1", HttpMethod.Post);
        request.Content = new ByteArrayContent(new byte[123]);
        request.Headers.TryAddWithoutValidation("traceparent", $"00-{TraceId}-{ClientSpanId}-01");
        var sentAt = DateTime.UtcNow;
        using (var response = await _stack.Client.SendAsync(request))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var line = await AccessLogLineAsync("/hello/world");
        var entry = line.RootElement;
        Assert.Equal("demo.example.com", entry.GetProperty("host").GetString());
        Assert.Equal("POST", entry.GetProperty("method").GetString());
        Assert.Equal("/hello/world", entry.GetProperty("path").GetString()); // never the query
        Assert.Equal(200, entry.GetProperty("status").GetInt32());
        // Wire bytes, like nginx's $request_length and $bytes_sent: body plus request line and headers.
        Assert.InRange(entry.GetProperty("request_size").GetInt64(), 123 + 50, 123 + 1000);
        Assert.InRange(entry.GetProperty("response_size").GetInt64(), 300, 5000); // the echo's JSON, chunked
        Assert.True(entry.GetProperty("duration").GetDouble() >= entry.GetProperty("upstream_time").GetDouble());
        Assert.Equal($"127.0.0.1:{_stack.EchoPort("echo-a")}", entry.GetProperty("upstream_addr").GetString());
        Assert.Equal("default/web", entry.GetProperty("ingress").GetString());
        Assert.False(entry.GetProperty("canary").GetBoolean());
        Assert.Equal(TraceId, entry.GetProperty("trace_id").GetString());
        var time = entry.GetProperty("time").GetDateTime();
        Assert.Equal(DateTimeKind.Utc, time.Kind);
        Assert.InRange(time, sentAt.AddMinutes(-1), sentAt.AddMinutes(1));

        // A request no Ingress routes is logged too, without upstream.
        Assert.Equal(HttpStatusCode.NotFound, (await _stack.SendAsync("nobody.example.com", "/unrouted")).Status);
        var unrouted = (await AccessLogLineAsync("/unrouted")).RootElement;
        Assert.Equal(404, unrouted.GetProperty("status").GetInt32());
        Assert.Equal(JsonValueKind.Null, unrouted.GetProperty("upstream_addr").ValueKind);
        Assert.Equal(JsonValueKind.Null, unrouted.GetProperty("upstream_time").ValueKind);
        Assert.Equal("", unrouted.GetProperty("ingress").GetString());
    }

    [Fact]
    public async Task The_access_log_flag_turns_it_off()
    {
        await _stack.StartProxyAsync(true, "--access-log", "off");
        Assert.Equal(HttpStatusCode.OK, (await _stack.SendAsync("demo.example.com", "/quiet")).Status);

        // The metric proves the request was handled; nothing of it may reach stdout.
        await _stack.WaitUntilAsync(async () => (await MetricsAsync()).Contains("method=\"GET\",status=\"200\"} 1", StringComparison.Ordinal), "request counted", _stack.Proxy);
        Assert.DoesNotContain("\"path\":", _stack.Proxy!.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_ingress_annotated_enable_access_log_false_is_left_out_of_the_log()
    {
        var quiet = Manifests.Ingress("quiet", "quiet.example.com", ("/", "Prefix", "svc-a"))
            .Replace("  namespace: default\n", "  namespace: default\n  annotations:\n    nginx.ingress.kubernetes.io/enable-access-log: \"false\"\n", StringComparison.Ordinal);
        Assert.Contains("enable-access-log", quiet, StringComparison.Ordinal);
        _stack.WriteManifest("quiet.yaml", quiet);
        await _stack.StartProxyAsync();
        await _stack.WaitUntilAsync(async () => (await _stack.SendAsync("quiet.example.com", "/probe")).Status == HttpStatusCode.OK, "quiet Ingress routed", _stack.Proxy);

        Assert.Equal(HttpStatusCode.OK, (await _stack.SendAsync("quiet.example.com", "/hushed")).Status);
        Assert.Equal(HttpStatusCode.OK, (await _stack.SendAsync("demo.example.com", "/after-hushed")).Status);

        // One queue, one writer, in order: once the later request's line is out, the earlier one would be too.
        await AccessLogLineAsync("/after-hushed");
        Assert.DoesNotContain("\"path\":\"/hushed\"", _stack.Proxy!.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("\"host\":\"quiet.example.com\"", _stack.Proxy.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_tracing_the_backend_gets_the_proxy_span_as_parent_in_the_clients_trace()
    {
        await _stack.StartProxyAsync(true, "--tracing", "on");

        using var request = _stack.Request("demo.example.com", "/traced");
        request.Headers.TryAddWithoutValidation("traceparent", $"00-{TraceId}-{ClientSpanId}-01");
        using var response = await _stack.Client.SendAsync(request);
        var headers = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("headers");
        var parts = headers.GetProperty("traceparent").GetString()!.Split('-');
        Assert.Equal(["00", TraceId], parts[..2]);
        Assert.NotEqual(ClientSpanId, parts[2]);
        Assert.Matches("^[0-9a-f]{16}$", parts[2]);
        Assert.Equal(TraceId, (await AccessLogLineAsync("/traced")).RootElement.GetProperty("trace_id").GetString());

        // Without one from the client, the proxy starts a trace; its id is logged.
        var (_, _, body) = await _stack.SendAsync("demo.example.com", "/fresh");
        var started = JsonDocument.Parse(body).RootElement.GetProperty("headers").GetProperty("traceparent").GetString()!;
        Assert.Matches("^00-[0-9a-f]{32}-[0-9a-f]{16}-01$", started);
        Assert.NotEqual(TraceId, started.Split('-')[1]);
        Assert.Equal(started.Split('-')[1], (await AccessLogLineAsync("/fresh")).RootElement.GetProperty("trace_id").GetString());
    }

    [Fact]
    public async Task Without_tracing_the_clients_traceparent_reaches_the_backend_unchanged()
    {
        await _stack.StartProxyAsync();
        using var request = _stack.Request("demo.example.com", "/untraced");
        request.Headers.TryAddWithoutValidation("traceparent", $"00-{TraceId}-{ClientSpanId}-01");
        using var response = await _stack.Client.SendAsync(request);
        var headers = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("headers");
        Assert.Equal($"00-{TraceId}-{ClientSpanId}-01", headers.GetProperty("traceparent").GetString());
    }

    [Fact]
    public async Task Otlp_export_posts_protobuf_traces_and_metrics_to_the_collector()
    {
        await using var collector = await FakeOtlpCollector.StartAsync();
        await _stack.StartProxyAsync(true, "--otlp-endpoint", collector.Url);
        Assert.Equal(HttpStatusCode.OK, (await _stack.SendAsync("demo.example.com", "/exported")).Status);

        // A graceful stop flushes the span batch and pushes the metrics one last time.
        await FakeOtlpCollector.StopGracefullyAsync(_stack.Proxy!);
        collector.AssertReceivedProtobuf("/v1/traces");
        collector.AssertReceivedProtobuf("/v1/metrics");
    }

    private async Task<string> MetricsAsync()
        => await _stack.Client.GetStringAsync($"http://127.0.0.1:{_stack.ProxyAdminPort}/metrics");

    /// <summary>Waits for the proxy's access log line for <paramref name="path"/> and parses it.</summary>
    private async Task<JsonDocument> AccessLogLineAsync(string path)
    {
        var line = await _stack.Proxy!.WaitForLineAsync(
            l => l.StartsWith('{') && l.Contains($"\"path\":\"{path}\"", StringComparison.Ordinal),
            GatehouseStack.Patience,
            "access log line for " + path);
        return JsonDocument.Parse(line);
    }
}
