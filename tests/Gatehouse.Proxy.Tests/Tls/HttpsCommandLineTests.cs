using Gatehouse.Proxy.Hosting;

namespace Gatehouse.Tests.Tls;

public sealed class HttpsCommandLineTests
{
    [Fact]
    public void HttpsPortDefaultsTo8443AndRedirectsTo443()
    {
        var options = CommandLine.Parse(["--channel", "/c"], out var error);

        Assert.Null(error);
        Assert.Equal(8443, options!.HttpsPort);
        Assert.Equal(443, options.HttpsRedirectPort);
    }

    [Fact]
    public void HttpsFlagsAreParsedAndValidated()
    {
        var options = CommandLine.Parse(["--channel", "/c", "--https-port", "9443", "--https-redirect-port=30443"], out var error);
        Assert.Null(error);
        Assert.Equal((9443, 30443), (options!.HttpsPort, options.HttpsRedirectPort));

        Assert.Null(CommandLine.Parse(["--https-port", "8080"], out error));
        Assert.Contains("--https-port must differ", error, StringComparison.Ordinal);
        Assert.Null(CommandLine.Parse(["--https-port", "x"], out error));
        Assert.Contains("--https-port", error, StringComparison.Ordinal);
        Assert.Null(CommandLine.Parse(["--https-redirect-port", "0"], out error));
        Assert.Contains("--https-redirect-port", error, StringComparison.Ordinal);
    }
}
