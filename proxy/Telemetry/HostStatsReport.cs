using System.Buffers;
using System.Text.Json;

namespace Gatehouse.Proxy.Telemetry;

/// <summary>
/// The JSON of /stats/hosts: per host, request rates over the last 1, 10 and 60 complete seconds and,
/// over the last 60, success rate (share of responses below 500), latency percentiles and bytes.
/// Hosts are ordered busiest first.
/// </summary>
internal static class HostStatsReport
{
    public static void Write(IBufferWriter<byte> output, SeriesRegistry registry, DateTimeOffset now)
    {
        var second = HostLiveStats.CurrentSecond();
        var rows = registry.Hosts
            .Select(host => (host.Host, Last1: host.Read(second, 1), Last10: host.Read(second, 10), Last60: host.Read(second, 60)))
            .OrderByDescending(row => row.Last60.Requests)
            .ThenBy(row => row.Host, StringComparer.Ordinal)
            .ToList();

        using var json = new Utf8JsonWriter(output);
        json.WriteStartObject();
        json.WriteNumber("time", now.ToUnixTimeMilliseconds());
        json.WriteNumber("windowSeconds", HostLiveStats.Seconds);
        json.WriteStartArray("hosts");
        foreach (var (host, last1, last10, last60) in rows)
        {
            json.WriteStartObject();
            json.WriteString("host", host);
            json.WriteNumber("qps1", last1.Requests);
            json.WriteNumber("qps10", Math.Round(last10.Requests / 10.0, 3));
            json.WriteNumber("qps60", Math.Round(last60.Requests / 60.0, 3));
            json.WriteNumber("requests60", last60.Requests);
            json.WriteNumber("successRate", last60.Requests == 0 ? 1 : Math.Round((double)(last60.Requests - last60.ServerErrors) / last60.Requests, 4));
            json.WriteNumber("p50Ms", last60.QuantileMilliseconds(0.50));
            json.WriteNumber("p90Ms", last60.QuantileMilliseconds(0.90));
            json.WriteNumber("p99Ms", last60.QuantileMilliseconds(0.99));
            json.WriteNumber("bytesIn", last60.BytesIn);
            json.WriteNumber("bytesOut", last60.BytesOut);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }
}
