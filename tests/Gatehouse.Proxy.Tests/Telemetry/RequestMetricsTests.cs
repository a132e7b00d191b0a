using System.Globalization;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Gatehouse.Model;
using Gatehouse.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using static Gatehouse.Tests.Infrastructure.Configs;

namespace Gatehouse.Tests.Telemetry;

/// <summary>Per-request metrics on /metrics after known sequences of real requests through an in-process proxy.</summary>
public sealed partial class RequestMetricsTests : IAsyncLifetime
{
    private const string ShopLabels = "host=\"shop.example.com\",namespace=\"retail\",ingress=\"shop\",service=\"shop-svc\",canary=\"false\"";
    private const string OtherLabels = "host=\"_other\",namespace=\"\",ingress=\"\",service=\"\",canary=\"false\"";

    private TestBackend _backend = null!;
    private ProxyHarness _proxy = null!;

    public async Task InitializeAsync()
    {
        // "/status/N" answers N with a 2,000-byte body; everything has a Content-Length.
        _backend = await TestBackend.StartAsync(async context =>
        {
            var path = context.Request.Path.Value ?? "";
            context.Response.StatusCode = path.StartsWith("/status/", StringComparison.Ordinal)
                ? int.Parse(path["/status/".Length..], CultureInfo.InvariantCulture)
                : 200;
            var body = new byte[2000];
            context.Response.ContentLength = body.Length;
            await context.Request.Body.CopyToAsync(Stream.Null);
            await context.Response.Body.WriteAsync(body);
        });

        var config = Of(
            [Host("shop.example.com", Prefix("/", "retail/shop-svc:80") with { Ingress = "retail/shop" })],
            [new BackendConfig { Name = "retail/shop-svc:80", Namespace = "retail", Service = "shop-svc", Port = "80", Endpoints = [_backend.Endpoint] }]);
        _proxy = await ProxyHarness.StartAsync(config);
    }

    public async Task DisposeAsync()
    {
        await _proxy.DisposeAsync();
        await _backend.DisposeAsync();
    }

    [Fact]
    public async Task Requests_are_counted_by_host_method_and_status_with_sizes_and_durations()
    {
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.OK, await SendAsync(HttpMethod.Get, "shop.example.com", "/"));
        }

        Assert.Equal(HttpStatusCode.Created, await SendAsync(HttpMethod.Post, "shop.example.com", "/status/201", body: 50));
        Assert.Equal(HttpStatusCode.Created, await SendAsync(HttpMethod.Post, "shop.example.com", "/status/201", body: 5000));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, await SendAsync(HttpMethod.Get, "shop.example.com", "/status/503"));
        Assert.Equal(HttpStatusCode.NotFound, await SendAsync(HttpMethod.Get, "unknown.example.com", "/"));

        var metrics = await _proxy.AdminClient.GetStringAsync("/metrics");

        Assert.Equal(3, Sample(metrics, $"gatehouse_requests_total{{{ShopLabels},method=\"GET\",status=\"200\"}}"));
        Assert.Equal(2, Sample(metrics, $"gatehouse_requests_total{{{ShopLabels},method=\"POST\",status=\"201\"}}"));
        Assert.Equal(1, Sample(metrics, $"gatehouse_requests_total{{{ShopLabels},method=\"GET\",status=\"503\"}}"));
        Assert.Equal(1, Sample(metrics, $"gatehouse_requests_total{{{OtherLabels},method=\"GET\",status=\"404\"}}"));

        // Sizes are wire bytes (request line and headers included): bodies of 0, 0, 0, 50, 5,000 and 0
        // bytes plus well under 300 bytes of head each.
        Assert.Equal(5, Sample(metrics, $"gatehouse_request_size_bytes_bucket{{{ShopLabels},le=\"1000\"}}"));
        Assert.Equal(6, Sample(metrics, $"gatehouse_request_size_bytes_bucket{{{ShopLabels},le=\"10000\"}}"));
        Assert.Equal(6, Sample(metrics, $"gatehouse_request_size_bytes_bucket{{{ShopLabels},le=\"+Inf\"}}"));
        Assert.InRange(Sample(metrics, $"gatehouse_request_size_bytes_sum{{{ShopLabels}}}"), 5050 + (6 * 30), 5050 + (6 * 300));

        // Responses: six 2,000-byte bodies from the backend, plus status line and headers.
        Assert.Equal(0, Sample(metrics, $"gatehouse_response_size_bytes_bucket{{{ShopLabels},le=\"1000\"}}"));
        Assert.Equal(6, Sample(metrics, $"gatehouse_response_size_bytes_bucket{{{ShopLabels},le=\"10000\"}}"));
        Assert.InRange(Sample(metrics, $"gatehouse_response_size_bytes_sum{{{ShopLabels}}}"), 12000 + (6 * 30), 12000 + (6 * 300));

        // Every request has a duration; only the six forwarded ones an upstream time.
        Assert.Equal(6, Sample(metrics, $"gatehouse_request_duration_seconds_count{{{ShopLabels}}}"));
        Assert.Equal(6, Sample(metrics, $"gatehouse_request_duration_seconds_bucket{{{ShopLabels},le=\"+Inf\"}}"));
        Assert.Equal(6, Sample(metrics, $"gatehouse_upstream_response_duration_seconds_count{{{ShopLabels}}}"));
        Assert.Equal(1, Sample(metrics, $"gatehouse_request_duration_seconds_count{{{OtherLabels}}}"));
        Assert.Equal(0, Sample(metrics, $"gatehouse_upstream_response_duration_seconds_count{{{OtherLabels}}}"));
        Assert.True(Sample(metrics, $"gatehouse_request_duration_seconds_sum{{{ShopLabels}}}") > 0);

        Assert.Equal(0, Sample(metrics, $"gatehouse_upstream_connect_errors_total{{{ShopLabels}}}"));
        Assert.True(Sample(metrics, "gatehouse_connections_accepted_total") >= 1);

        // The process's allocation counter only grows: a second scrape after more requests reads more.
        var allocated = Sample(metrics, "gatehouse_process_allocated_bytes_total");
        Assert.True(allocated > 0);
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(HttpStatusCode.OK, await SendAsync(HttpMethod.Get, "shop.example.com", "/"));
        }

        Assert.True(Sample(await _proxy.AdminClient.GetStringAsync("/metrics"), "gatehouse_process_allocated_bytes_total") > allocated);
    }

    [Fact]
    public async Task A_backend_that_refuses_connections_counts_as_an_upstream_connect_error()
    {
        // A port that was free a moment ago: nothing listens there.
        var closed = FreeLoopbackPort();
        _proxy.Server.ApplyConfig(Of(
            [Host("down.example.com", Prefix("/", "ops/down:80") with { Ingress = "ops/down" })],
            [new BackendConfig { Name = "ops/down:80", Namespace = "ops", Service = "down", Endpoints = [new EndpointConfig("127.0.0.1", closed)] }],
            generation: 2));

        Assert.Equal(HttpStatusCode.BadGateway, await SendAsync(HttpMethod.Get, "down.example.com", "/"));
        var metrics = await _proxy.AdminClient.GetStringAsync("/metrics");
        const string labels = "host=\"down.example.com\",namespace=\"ops\",ingress=\"down\",service=\"down\",canary=\"false\"";
        Assert.Equal(1, Sample(metrics, $"gatehouse_upstream_connect_errors_total{{{labels}}}"));
        Assert.Equal(1, Sample(metrics, $"gatehouse_requests_total{{{labels},method=\"GET\",status=\"502\"}}"));

        // The shop series left the config with generation 2: its counters are gone, not frozen.
        Assert.DoesNotContain("shop.example.com", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_hosts_and_methods_share_one_label_value()
    {
        for (var i = 0; i < 40; i++)
        {
            Assert.Equal(HttpStatusCode.NotFound, await SendAsync(HttpMethod.Get, $"random-{i}.example.org", "/"));
        }

        Assert.Equal(HttpStatusCode.OK, await SendAsync(new HttpMethod("BREW"), "shop.example.com", "/"));

        var metrics = await _proxy.AdminClient.GetStringAsync("/metrics");
        Assert.DoesNotContain("random-", metrics, StringComparison.Ordinal);
        Assert.DoesNotContain("BREW", metrics, StringComparison.Ordinal);
        Assert.Equal(40, Sample(metrics, $"gatehouse_requests_total{{{OtherLabels},method=\"GET\",status=\"404\"}}"));
        Assert.Equal(1, Sample(metrics, $"gatehouse_requests_total{{{ShopLabels},method=\"_other\",status=\"200\"}}"));
        var requestSeries = metrics.Split('\n').Count(line => line.StartsWith("gatehouse_requests_total{", StringComparison.Ordinal));
        Assert.Equal(2, requestSeries);
    }

    [Fact]
    public async Task The_exposition_follows_the_text_format_rules()
    {
        Assert.Equal(HttpStatusCode.OK, await SendAsync(HttpMethod.Get, "shop.example.com", "/"));
        Assert.Equal(HttpStatusCode.NotFound, await SendAsync(HttpMethod.Get, "nowhere.example.com", "/"));
        var metrics = await _proxy.AdminClient.GetStringAsync("/metrics");
        Assert.EndsWith("\n", metrics, StringComparison.Ordinal);

        var types = new Dictionary<string, string>(StringComparer.Ordinal);
        var helps = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in metrics.TrimEnd('\n').Split('\n'))
        {
            if (line.StartsWith("# HELP ", StringComparison.Ordinal))
            {
                Assert.True(helps.Add(line.Split(' ')[2]), "HELP repeated: " + line);
                continue;
            }

            if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                var parts = line.Split(' ');
                Assert.True(types.TryAdd(parts[2], parts[3]), "TYPE repeated: " + line);
                Assert.Contains(parts[3], new[] { "counter", "gauge", "histogram" });
                continue;
            }

            var match = SampleLine().Match(line);
            Assert.True(match.Success, "not a sample line: " + line);
            var name = match.Groups["name"].Value;
            var family = types.Keys.Where(f => name == f || (types[f] == "histogram" && name.StartsWith(f + "_", StringComparison.Ordinal)))
                .OrderByDescending(f => f.Length).FirstOrDefault();
            Assert.True(family is not null, "sample before its TYPE line: " + line);
            if (types[family!] == "counter")
            {
                Assert.EndsWith("_total", name, StringComparison.Ordinal);
            }
        }

        // Histogram buckets are cumulative and end in +Inf equal to _count.
        var buckets = Samples(metrics, $"gatehouse_request_duration_seconds_bucket{{{ShopLabels},le=\"");
        Assert.Equal(RouteBoundsCount + 1, buckets.Count);
        Assert.Equal("+Inf", buckets[^1].Le);
        for (var i = 1; i < buckets.Count; i++)
        {
            Assert.True(buckets[i].Value >= buckets[i - 1].Value);
        }

        Assert.Equal(buckets[^1].Value, Sample(metrics, $"gatehouse_request_duration_seconds_count{{{ShopLabels}}}"));
    }

    private const int RouteBoundsCount = 11;

    private async Task<HttpStatusCode> SendAsync(HttpMethod method, string host, string path, int body = 0)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Host = host;
        if (body > 0)
        {
            request.Content = new ByteArrayContent(Encoding.ASCII.GetBytes(new string('x', body)));
        }

        using var response = await _proxy.Client.SendAsync(request);
        await response.Content.ReadAsByteArrayAsync();
        return response.StatusCode;
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    internal static double Sample(string metrics, string series)
    {
        foreach (var line in metrics.Split('\n'))
        {
            if (line.StartsWith(series + " ", StringComparison.Ordinal))
            {
                return double.Parse(line[(series.Length + 1)..], CultureInfo.InvariantCulture);
            }
        }

        throw new Xunit.Sdk.XunitException($"no sample {series} in:\n{metrics}");
    }

    private static List<(string Le, double Value)> Samples(string metrics, string prefix)
        => [.. metrics.Split('\n')
            .Where(line => line.StartsWith(prefix, StringComparison.Ordinal))
            .Select(line =>
            {
                var rest = line[prefix.Length..];
                var quote = rest.IndexOf('"', StringComparison.Ordinal);
                return (rest[..quote], double.Parse(rest[(rest.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));
            })];

    [GeneratedRegex("""^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\\\|\\"|\\n)*")(,[a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\\\|\\"|\\n)*")*\})? (-?[0-9.e+E-]+|\+Inf|-Inf|NaN)$""")]
    private static partial Regex SampleLine();
}
