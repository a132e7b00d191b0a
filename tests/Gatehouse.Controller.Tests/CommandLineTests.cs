using Gatehouse.Controller;

namespace Gatehouse.Tests;

public sealed class CommandLineTests
{
    [Fact]
    public void DefaultsApplyWhenOnlyRequiredFlagsAreGiven()
    {
        var result = CommandLine.Parse(["--manifests", "/etc/m", "--channel", "/run/c.bin"]);

        Assert.Null(result.Error);
        Assert.Equal(
            new ControllerOptions
            {
                ManifestsDirectory = "/etc/m",
                ChannelPath = "/run/c.bin",
                IngressClass = "gatehouse",
                ControllerName = "gatehouse.io/ingress-controller",
                AdminPort = 10254,
                AdminAddress = "127.0.0.1",
                Debounce = TimeSpan.FromMilliseconds(200),
            },
            result.Options);
    }

    [Fact]
    public void EveryFlagIsParsedInBothForms()
    {
        var result = CommandLine.Parse(
        [
            "--manifests=/m", "--channel", "/c", "--ingress-class", "edge", "--controller-name=example.com/edge",
            "--admin-port", "9000", "--admin-address=0.0.0.0", "--debounce-ms", "50",
        ]);

        var options = Assert.IsType<ControllerOptions>(result.Options);
        Assert.Equal(("/m", "/c", "edge", "example.com/edge", 9000, "0.0.0.0", TimeSpan.FromMilliseconds(50)),
            (options.ManifestsDirectory, options.ChannelPath, options.IngressClass, options.ControllerName,
                options.AdminPort, options.AdminAddress, options.Debounce));
    }

    [Theory]
    [InlineData("missing required option --manifests", "--channel", "/c")]
    [InlineData("missing required option --channel", "--manifests", "/m")]
    [InlineData("unknown option '--bogus'", "--manifests", "/m", "--channel", "/c", "--bogus", "1")]
    [InlineData("needs a value", "--manifests", "/m", "--channel")]
    [InlineData("more than once", "--manifests", "/m", "--manifests", "/n", "--channel", "/c")]
    [InlineData("not a port number", "--manifests", "/m", "--channel", "/c", "--admin-port", "70000")]
    [InlineData("not an IP address", "--manifests", "/m", "--channel", "/c", "--admin-address", "localhost")]
    [InlineData("milliseconds", "--manifests", "/m", "--channel", "/c", "--debounce-ms", "-5")]
    [InlineData("unexpected argument 'stray'", "stray")]
    public void BadUsageIsAnError(string expectedError, params string[] args)
    {
        var result = CommandLine.Parse(args);

        Assert.Null(result.Options);
        Assert.Contains(expectedError, result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void HelpIsRecognised()
    {
        Assert.False(CommandLine.Parse(["--bogus", "--help"]).ShowHelp); // the unknown flag is reported first
        Assert.True(CommandLine.Parse(["--manifests", "/m", "-h"]).ShowHelp);
        Assert.True(CommandLine.Parse(["--help"]).ShowHelp);
    }
}
