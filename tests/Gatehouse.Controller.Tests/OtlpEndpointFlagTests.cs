using Gatehouse.Controller;

namespace Gatehouse.Tests;

/// <summary>The controller's --otlp-endpoint flag.</summary>
public sealed class OtlpEndpointFlagTests
{
    [Fact]
    public void Absent_means_no_otlp_export()
        => Assert.Null(CommandLine.Parse(["--manifests", "/m"]).Options!.OtlpEndpoint);

    [Fact]
    public void An_http_url_is_the_collector_base()
        => Assert.Equal(new Uri("http://otel-collector:4318"), CommandLine.Parse(["--manifests", "/m", "--otlp-endpoint", "http://otel-collector:4318"]).Options!.OtlpEndpoint);

    [Theory]
    [InlineData("otel-collector:4318")]
    [InlineData("/v1/metrics")]
    [InlineData("ftp://collector")]
    public void Anything_else_is_a_usage_error(string value)
    {
        var result = CommandLine.Parse(["--manifests", "/m", "--otlp-endpoint", value]);
        Assert.Null(result.Options);
        Assert.Equal($"--otlp-endpoint '{value}' is not an http(s) URL", result.Error);
    }
}
