using System.Buffers;
using System.Text;
using Gatehouse.Model;
using Gatehouse.Proxy.Configuration;
using Gatehouse.Proxy.Forwarding;
using Gatehouse.Proxy.Telemetry;
using Gatehouse.Telemetry;
using Microsoft.Extensions.Logging.Abstractions;
using static Gatehouse.Tests.Infrastructure.Configs;

namespace Gatehouse.Tests.Telemetry;

/// <summary>
/// The per-request metrics page is written as UTF-8 straight into the response's buffers: the same
/// text <see cref="PrometheusText"/> makes, without building the page as a string first.
/// </summary>
public sealed class PrometheusUtf8WriterTests
{
    [Theory]
    [InlineData(0.0)]
    [InlineData(0.005)]
    [InlineData(1e-7)]
    [InlineData(123456789.125)]
    [InlineData(-2.5)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NegativeInfinity)]
    [InlineData(double.NaN)]
    public void NumbersAreWrittenAsPrometheusTextWritesThem(double value)
    {
        var expected = new StringBuilder();
        PrometheusText.AppendNumber(expected, value);
        PrometheusText.AppendNumber(expected.Append(' '), (long)(value is double.NaN or double.PositiveInfinity or double.NegativeInfinity ? long.MinValue : value * 1000));

        Assert.Equal(expected.ToString(), Write(w => w.AppendNumber(value).Append(' ').AppendNumber((long)(value is double.NaN or double.PositiveInfinity or double.NegativeInfinity ? long.MinValue : value * 1000))));
    }

    [Theory]
    [InlineData("plain.example.com")]
    [InlineData("quote\"back\\slash\nnewline")]
    [InlineData("bücher.example")]
    public void LabelValuesAndHelpAreEscapedAsPrometheusTextEscapesThem(string value)
    {
        var label = new StringBuilder();
        PrometheusText.AppendLabelValue(label, value);
        var help = new StringBuilder();
        PrometheusText.AppendHelp(help, value);

        Assert.Equal(label.ToString(), Write(w => w.AppendLabelValue(value)));
        Assert.Equal(help.ToString(), Write(w => w.AppendHelp(value)));
    }

    [Fact]
    public void TextLongerThanOneBufferArrivesWhole()
    {
        // An output that hands out small buffers: the writer asks again whenever one is full.
        var output = new SmallBuffers(64);
        var writer = new PrometheusUtf8Writer(output);
        var expected = new StringBuilder();
        for (var i = 0; i < 5000; i++)
        {
            writer.Append("series_").Append(i).Append('{').AppendLabelValue("h\"ost").Append("} ").AppendNumber(i * 0.25).Append('\n');
            expected.Append("series_").Append(i).Append("{h\\\"ost} ");
            PrometheusText.AppendNumber(expected, i * 0.25);
            expected.Append('\n');
        }

        writer.Flush();
        Assert.Equal(expected.ToString(), Encoding.UTF8.GetString(output.Written.ToArray()));
    }

    [Fact]
    public void A_scrape_of_a_thousand_hosts_allocates_a_small_part_of_its_size()
    {
        var hosts = Enumerable.Range(0, 1000)
            .Select(i => Host($"host-{i}.example.com", Prefix("/", "shop/web:80") with { Ingress = $"shop/host-{i}" }))
            .ToList();
        using var state = new ProxyConfigState(new ForwarderOptions(), NullLogger.Instance);
        var table = state.Apply(Of([.. hosts], [Backend("shop/web:80", new EndpointConfig("10.0.0.1", 80)) with { Namespace = "shop", Service = "web" }], generation: 1));
        var telemetry = new RequestTelemetry(null, null);
        foreach (var host in hosts)
        {
            telemetry.Series.For(Assert.Single(table.FindLabelledHost(host.Host, SeriesLabels.OtherHost)!.Routes));
        }

        var exposition = new RequestMetricsExposition(telemetry);
        var output = new ArrayBufferWriter<byte>();
        exposition.WriteTo(output); // the first one sizes the buffer
        var size = output.WrittenCount;
        output.ResetWrittenCount();

        var before = GC.GetAllocatedBytesForCurrentThread();
        exposition.WriteTo(output);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(size, output.WrittenCount);
        Assert.Contains("gatehouse_request_duration_seconds_bucket{host=\"host-999.example.com\",namespace=\"shop\",ingress=\"host-999\",service=\"web\",canary=\"false\",le=\"+Inf\"} 0\n", Encoding.UTF8.GetString(output.WrittenSpan), StringComparison.Ordinal);

        // Built as a string first, the page cost about five times its size (UTF-16 chunks, the string,
        // a UTF-8 copy); now what is left is sorting the series.
        Assert.True(size > 4_000_000, $"a page of {size} bytes");
        Assert.True(allocated < size / 20, $"{allocated} bytes allocated for a page of {size}");
    }

    private static string Write(Action<PrometheusUtf8Writer> write)
    {
        var output = new ArrayBufferWriter<byte>();
        var writer = new PrometheusUtf8Writer(output);
        write(writer);
        writer.Flush();
        return Encoding.UTF8.GetString(output.WrittenSpan);
    }

    /// <summary>An output whose buffers are never larger than asked for, nor than <c>limit</c> when less is asked.</summary>
    private sealed class SmallBuffers(int limit) : IBufferWriter<byte>
    {
        private byte[] _current = [];

        public MemoryStream Written { get; } = new();

        public void Advance(int count) => Written.Write(_current, 0, count);

        public Memory<byte> GetMemory(int sizeHint = 0) => _current = new byte[Math.Max(sizeHint, limit)];

        public Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;
    }
}
