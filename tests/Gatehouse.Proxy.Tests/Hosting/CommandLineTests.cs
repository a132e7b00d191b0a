using System.Net;
using Gatehouse.Proxy.Hosting;

namespace Gatehouse.Tests.Hosting;

public sealed class CommandLineTests
{
    [Fact]
    public void DefaultsNeedOnlyTheChannel()
    {
        var options = CommandLine.Parse(["--channel", "/var/run/gatehouse/config.bin"], out var error);

        Assert.Null(error);
        Assert.NotNull(options);
        Assert.Equal("/var/run/gatehouse/config.bin", options.ChannelPath);
        Assert.Equal(IPAddress.Any, options.Address);
        Assert.Equal(8080, options.HttpPort);
        Assert.Null(options.AdminAddress);
        Assert.Equal(9090, options.AdminPort);
        Assert.Equal(TimeSpan.FromMilliseconds(10), options.PollInterval);
        Assert.Equal(TimeSpan.FromSeconds(60), options.UpstreamTimeout);
    }

    [Theory]
    [InlineData(null, Gatehouse.Proxy.Forwarding.UpstreamClient.Lean)]
    [InlineData("sockets", Gatehouse.Proxy.Forwarding.UpstreamClient.Sockets)]
    [InlineData("lean", Gatehouse.Proxy.Forwarding.UpstreamClient.Lean)]
    public void UpstreamClientFlag(string? value, Gatehouse.Proxy.Forwarding.UpstreamClient expected)
    {
        var options = CommandLine.Parse(value is null ? ["--channel", "/c"] : ["--channel", "/c", "--upstream-client", value], out var error);

        Assert.Null(error);
        Assert.Equal(expected, options!.UpstreamClient);
    }

    [Theory]
    [InlineData(null, Gatehouse.Proxy.Transport.ProxyTransport.Epoll)]
    [InlineData("sockets", Gatehouse.Proxy.Transport.ProxyTransport.Sockets)]
    [InlineData("epoll", Gatehouse.Proxy.Transport.ProxyTransport.Epoll)]
    public void TransportFlag(string? value, Gatehouse.Proxy.Transport.ProxyTransport expected)
    {
        var options = CommandLine.Parse(value is null ? ["--channel", "/c"] : ["--channel", "/c", "--transport", value], out var error);

        Assert.Null(error);
        Assert.Equal(expected, options!.Transport);
    }

    [Theory]
    [InlineData(null, Http1Server.Gatehouse)]
    [InlineData("gatehouse", Http1Server.Gatehouse)]
    [InlineData("kestrel", Http1Server.Kestrel)]
    public void Http1ServerFlag(string? value, Http1Server expected)
    {
        var options = CommandLine.Parse(value is null ? ["--channel", "/c"] : ["--channel", "/c", "--http1-server", value], out var error);

        Assert.Null(error);
        Assert.Equal(expected, options!.Http1Server);
    }

    [Theory]
    [InlineData(null, HttpsServer.Gatehouse)]
    [InlineData("gatehouse", HttpsServer.Gatehouse)]
    [InlineData("kestrel", HttpsServer.Kestrel)]
    public void HttpsServerFlag(string? value, HttpsServer expected)
    {
        var options = CommandLine.Parse(value is null ? ["--channel", "/c"] : ["--channel", "/c", "--https-server", value], out var error);

        Assert.Null(error);
        Assert.Equal(expected, options!.HttpsServer);
    }

    [Theory]
    [InlineData(null, Http2Server.Gatehouse)]
    [InlineData("gatehouse", Http2Server.Gatehouse)]
    [InlineData("kestrel", Http2Server.Kestrel)]
    public void Http2ServerFlag(string? value, Http2Server expected)
    {
        var options = CommandLine.Parse(value is null ? ["--channel", "/c"] : ["--channel", "/c", "--http2-server", value], out var error);

        Assert.Null(error);
        Assert.Equal(expected, options!.Http2Server);
    }

    [Theory]
    [InlineData("--http1-server", "nginx", "--http1-server: 'nginx' is not one of gatehouse, kestrel")]
    [InlineData("--https-server", "x", "--https-server: 'x' is not one of gatehouse, kestrel")]
    [InlineData("--http2-server", "nginx", "--http2-server: 'nginx' is not one of gatehouse, kestrel")]
    public void UnknownServerIsAUsageError(string flag, string value, string expected)
    {
        var options = CommandLine.Parse(["--channel", "/c", flag, value], out var error);

        Assert.Null(options);
        Assert.Equal(expected, error);
    }

    [Theory]
    [InlineData("--transport", "iouring", "--transport: 'iouring' is not one of sockets, epoll")]
    [InlineData("--event-loops", "0", "--event-loops: '0' is not auto or a number from 1 to 256")]
    [InlineData("--event-loops", "many", "--event-loops: 'many' is not auto or a number from 1 to 256")]
    public void BadTransportSettingsAreUsageErrors(string flag, string value, string expected)
    {
        var options = CommandLine.Parse(["--channel", "/c", flag, value], out var error);

        Assert.Null(options);
        Assert.Equal(expected, error);
    }

    [Fact]
    public void EventLoopsFlagSetsTheLoopCount()
    {
        var options = CommandLine.Parse(["--channel", "/c", "--event-loops", "4"], out var error);

        Assert.Null(error);
        Assert.Equal(4, options!.EventLoops);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 1)]
    [InlineData(4, 3)]
    [InlineData(16, 15)]
    public void AutoEventLoopsLeavesOneCpuForTheRest(int processors, int loops)
        => Assert.Equal(loops, ProxyOptions.AutoEventLoops(processors));

    [Fact]
    public void EventLoopsDefaultToAutoForThisMachine()
    {
        var auto = ProxyOptions.AutoEventLoops(Environment.ProcessorCount);
        Assert.Equal(auto, CommandLine.Parse(["--channel", "/c"], out _)!.EventLoops);
        Assert.Equal(auto, CommandLine.Parse(["--channel", "/c", "--event-loops", "auto"], out var error)!.EventLoops);
        Assert.Null(error);
    }

    [Fact]
    public void UnknownUpstreamClientIsAUsageError()
    {
        var options = CommandLine.Parse(["--channel", "/c", "--upstream-client", "curl"], out var error);

        Assert.Null(options);
        Assert.Equal("--upstream-client: 'curl' is not one of sockets, lean", error);
    }

    [Fact]
    public void ChannelDefaultsToThePodPath()
    {
        var options = CommandLine.Parse([], out var error);

        Assert.Null(error);
        Assert.Equal("/var/run/gatehouse/config.bin", options!.ChannelPath);
    }

    [Fact]
    public void AllFlags()
    {
        var options = CommandLine.Parse(
            ["--channel", "/c", "--address", "127.0.0.1", "--http-port", "18080", "--admin-address=::1", "--admin-port", "19090",
             "--poll-interval-ms", "20", "--upstream-timeout", "2.5"],
            out var error);

        Assert.Null(error);
        Assert.Equal(IPAddress.Loopback, options!.Address);
        Assert.Equal(18080, options.HttpPort);
        Assert.Equal(IPAddress.IPv6Loopback, options.AdminAddress);
        Assert.Equal(19090, options.AdminPort);
        Assert.Equal(TimeSpan.FromMilliseconds(20), options.PollInterval);
        Assert.Equal(TimeSpan.FromSeconds(2.5), options.UpstreamTimeout);
    }

    [Theory]
    [InlineData(new[] { "--channel" }, "requires a value")]
    [InlineData(new[] { "--channel", "/c", "--bogus" }, "unknown argument")]
    [InlineData(new[] { "--channel", "/c", "--http-port", "70000" }, "--http-port")]
    [InlineData(new[] { "--channel", "/c", "--address", "localhost" }, "--address")]
    [InlineData(new[] { "--channel", "/c", "--poll-interval-ms", "0" }, "--poll-interval-ms")]
    [InlineData(new[] { "--channel", "/c", "--upstream-timeout", "-1" }, "--upstream-timeout")]
    [InlineData(new[] { "--channel", "/c", "--http-port", "9000", "--admin-port", "9000" }, "must differ")]
    public void UsageErrors(string[] args, string expected)
    {
        var options = CommandLine.Parse(args, out var error);

        Assert.Null(options);
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--help")]
    [InlineData("-h")]
    public void HelpIsNotAnError(string flag)
    {
        var options = CommandLine.Parse(["--channel", "/c", flag], out var error);

        Assert.Null(options);
        Assert.Null(error);
    }
}
