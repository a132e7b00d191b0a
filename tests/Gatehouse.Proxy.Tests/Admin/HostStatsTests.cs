using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Gatehouse.Model;
using Gatehouse.Tests.Infrastructure;
using static Gatehouse.Tests.Infrastructure.Configs;

namespace Gatehouse.Tests.Admin;

/// <summary>
/// /stats/hosts after a known burst, and the live page at / rendering the same numbers in a real
/// headless Chromium (the Debian package; .ci/run installs it).
/// </summary>
public sealed partial class HostStatsTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private static readonly string[] Fields = ["qps1", "qps10", "qps60", "requests60", "successRate", "p50Ms", "p90Ms", "p99Ms", "bytesIn", "bytesOut"];

    private TestBackend _backend = null!;
    private ProxyHarness _proxy = null!;

    public async Task InitializeAsync()
    {
        _backend = await TestBackend.StartAsync(async context =>
        {
            context.Response.StatusCode = context.Request.Path.StartsWithSegments("/fail") ? 500 : 200;
            context.Response.ContentLength = 300;
            await context.Response.Body.WriteAsync(new byte[300]);
        });
        _proxy = await ProxyHarness.StartAsync(Of(
            [Host("api.example.com", Prefix("/", "b")), Host("www.example.com", Prefix("/", "b"))],
            [Backend("b", _backend.Endpoint)]));
    }

    public async Task DisposeAsync()
    {
        await _proxy.DisposeAsync();
        await _backend.DisposeAsync();
    }

    [Fact]
    public async Task Stats_report_a_burst_per_host_once_its_seconds_are_complete()
    {
        await BurstAsync();
        var api = await WaitForHostAsync("api.example.com", 20);
        Assert.Equal(20, api.GetProperty("requests60").GetInt64());
        Assert.Equal(Math.Round(20 / 60.0, 3), api.GetProperty("qps60").GetDouble());
        Assert.Equal(0.8, api.GetProperty("successRate").GetDouble()); // 4 of 20 answered 500
        // Wire bytes: bodies plus request and status lines and headers (well under 300 bytes each).
        Assert.InRange(api.GetProperty("bytesIn").GetInt64(), (16 * 1000L) + (20 * 30), (16 * 1000L) + (20 * 300));
        Assert.InRange(api.GetProperty("bytesOut").GetInt64(), (20 * 300L) + (20 * 30), (20 * 300L) + (20 * 300));
        var p50 = api.GetProperty("p50Ms").GetDouble();
        var p99 = api.GetProperty("p99Ms").GetDouble();
        Assert.True(p50 > 0 && p50 <= p99, $"p50 {p50} p99 {p99}");

        var www = await WaitForHostAsync("www.example.com", 5);
        Assert.Equal(1.0, www.GetProperty("successRate").GetDouble());
        Assert.InRange(www.GetProperty("bytesIn").GetInt64(), 5 * 30, 5 * 300); // five GETs: heads only

        // Busiest first.
        var stats = await StatsAsync();
        Assert.Equal("api.example.com", stats.GetProperty("hosts")[0].GetProperty("host").GetString());
    }

    [Fact]
    public async Task The_live_page_renders_the_numbers_of_stats_hosts_in_headless_chromium()
    {
        await BurstAsync();
        await WaitForHostAsync("api.example.com", 20);
        await WaitForHostAsync("www.example.com", 5);

        var page = await _proxy.AdminClient.GetStringAsync("/");
        Assert.DoesNotContain("http://", page, StringComparison.Ordinal);
        Assert.DoesNotContain("https://", page, StringComparison.Ordinal);

        // Every reading of /stats/hosts while Chromium runs: the page shows one of them.
        var readings = new List<JsonElement> { await StatsAsync() };
        using var stop = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                readings.Add(await StatsAsync());
                await Task.Delay(200, CancellationToken.None);
            }
        });
        var dom = await RunChromiumAsync("--dump-dom");
        await stop.CancelAsync();
        await sampler;
        readings.Add(await StatsAsync());

        foreach (var host in new[] { "api.example.com", "www.example.com" })
        {
            var shown = Row(dom, host);
            foreach (var field in Fields)
            {
                Assert.True(shown.ContainsKey(field), $"{host}: {field} missing in the page:\n{dom}");

                // The windows slide by whole seconds; the page saw one of the readings taken meanwhile.
                var expected = readings.Select(r => Value(r, host, field)).Distinct().ToList();
                Assert.Contains(double.Parse(shown[field], CultureInfo.InvariantCulture), expected);
            }
        }

        // The "screenshot test": the page paints (chart and table) into a real PNG.
        var png = Path.Combine(Path.GetTempPath(), "gatehouse-live-" + Guid.NewGuid().ToString("N") + ".png");
        try
        {
            await RunChromiumAsync("--screenshot=" + png, "--window-size=1100,700");
            var bytes = await File.ReadAllBytesAsync(png);
            Assert.True(bytes.Length > 1000, $"screenshot is {bytes.Length} bytes");
            Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, bytes[..4]);
        }
        finally
        {
            File.Delete(png);
        }
    }

    /// <summary>api: 16 POSTs with a 1,000-byte body and 4 GETs answered 500; www: 5 GETs. Every response is 300 bytes.</summary>
    private async Task BurstAsync()
    {
        for (var i = 0; i < 16; i++)
        {
            Assert.Equal(HttpStatusCode.OK, await SendAsync("api.example.com", "/ok", new ByteArrayContent(new byte[1000])));
        }

        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(HttpStatusCode.InternalServerError, await SendAsync("api.example.com", "/fail", null));
        }

        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(HttpStatusCode.OK, await SendAsync("www.example.com", "/", null));
        }
    }

    private async Task<HttpStatusCode> SendAsync(string host, string path, HttpContent? body)
    {
        using var request = new HttpRequestMessage(body is null ? HttpMethod.Get : HttpMethod.Post, path) { Content = body };
        request.Headers.Host = host;
        using var response = await _proxy.Client.SendAsync(request);
        await response.Content.ReadAsByteArrayAsync();
        return response.StatusCode;
    }

    private async Task<JsonElement> StatsAsync()
    {
        using var response = await _proxy.AdminClient.GetAsync("/stats/hosts");
        Assert.Equal("application/json; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return document.RootElement.Clone();
    }

    /// <summary>Polls until the host's last 60 complete seconds hold <paramref name="requests"/> requests.</summary>
    private async Task<JsonElement> WaitForHostAsync(string host, long requests)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var stats = await StatsAsync();
            foreach (var row in stats.GetProperty("hosts").EnumerateArray())
            {
                if (row.GetProperty("host").GetString() == host && row.GetProperty("requests60").GetInt64() == requests)
                {
                    return row;
                }
            }

            Assert.True(deadline.Elapsed < Patience, $"/stats/hosts never showed {requests} requests for {host}: {stats}");
            await Task.Delay(100);
        }
    }

    private static double Value(JsonElement stats, string host, string field)
        => stats.GetProperty("hosts").EnumerateArray().First(r => r.GetProperty("host").GetString() == host).GetProperty(field).GetDouble();

    /// <summary>The data-value of every data-field cell in the row of <paramref name="host"/>.</summary>
    private static Dictionary<string, string> Row(string dom, string host)
    {
        var row = RowPattern().Matches(dom).FirstOrDefault(m => WebUtility.HtmlDecode(m.Groups["host"].Value) == host)
            ?? throw new Xunit.Sdk.XunitException($"no row for {host} in the page:\n{dom}");
        return CellPattern().Matches(row.Groups["cells"].Value)
            .ToDictionary(m => m.Groups["field"].Value, m => WebUtility.HtmlDecode(m.Groups["value"].Value));
    }

    private async Task<string> RunChromiumAsync(params string[] arguments)
    {
        var profile = Directory.CreateTempSubdirectory("gatehouse-chromium-");
        try
        {
            var start = new ProcessStartInfo("chromium")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var argument in (string[])["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--user-data-dir=" + profile.FullName, "--virtual-time-budget=5000", .. arguments,
                $"http://127.0.0.1:{_proxy.Server.AdminPort}/"])
            {
                start.ArgumentList.Add(argument);
            }

            using var chromium = Process.Start(start)!;
            var output = chromium.StandardOutput.ReadToEndAsync();
            var errors = chromium.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
            try
            {
                await chromium.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                chromium.Kill(entireProcessTree: true);
                throw new TimeoutException("chromium did not finish within 90 s: " + await errors);
            }

            Assert.True(chromium.ExitCode == 0, $"chromium exited with {chromium.ExitCode}: {await errors}");
            return await output;
        }
        finally
        {
            profile.Delete(recursive: true);
        }
    }

    [GeneratedRegex("""<tr data-host="(?<host>[^"]*)">(?<cells>.*?)</tr>""", RegexOptions.Singleline)]
    private static partial Regex RowPattern();

    [GeneratedRegex("""<td data-field="(?<field>[^"]+)" data-value="(?<value>[^"]*)">""")]
    private static partial Regex CellPattern();
}
