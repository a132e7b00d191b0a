using Gatehouse.Proxy.Hosting;
using Gatehouse.Proxy.Telemetry;

namespace Gatehouse.Tests.Hosting;

/// <summary>--access-log, --tracing and --otlp-endpoint.</summary>
public sealed class TelemetryFlagsTests
{
    [Fact]
    public void Access_log_on_stdout_and_tracing_off_by_default()
    {
        var options = CommandLine.Parse([], out var error)!;
        Assert.Null(error);
        Assert.Equal(AccessLogMode.Stdout, options.AccessLog);
        Assert.False(options.Tracing);
        Assert.Null(options.OtlpEndpoint);
    }

    [Fact]
    public void Access_log_can_be_turned_off()
    {
        Assert.Equal(AccessLogMode.Off, CommandLine.Parse(["--access-log", "off"], out _)!.AccessLog);
        Assert.Equal(AccessLogMode.Stdout, CommandLine.Parse(["--access-log=stdout"], out _)!.AccessLog);
    }

    [Fact]
    public void An_otlp_endpoint_turns_tracing_on_unless_told_otherwise()
    {
        var exported = CommandLine.Parse(["--otlp-endpoint", "http://collector:4318"], out var error)!;
        Assert.Null(error);
        Assert.Equal(new Uri("http://collector:4318"), exported.OtlpEndpoint);
        Assert.True(exported.Tracing);

        Assert.False(CommandLine.Parse(["--otlp-endpoint", "http://collector:4318", "--tracing", "off"], out _)!.Tracing);
        Assert.True(CommandLine.Parse(["--tracing", "on"], out _)!.Tracing);
    }

    [Theory]
    [InlineData("--access-log", "file", "--access-log: 'file' is not one of stdout, off")]
    [InlineData("--tracing", "yes", "--tracing: 'yes' is not one of on, off")]
    [InlineData("--otlp-endpoint", "collector:4318", "--otlp-endpoint: 'collector:4318' is not an http(s) URL")]
    [InlineData("--otlp-endpoint", "/v1", "--otlp-endpoint: '/v1' is not an http(s) URL")]
    public void Bad_values_are_usage_errors(string flag, string value, string message)
    {
        Assert.Null(CommandLine.Parse([flag, value], out var error));
        Assert.Equal(message, error);
    }
}
