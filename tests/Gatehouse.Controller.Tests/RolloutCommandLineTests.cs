using Gatehouse.Controller;

namespace Gatehouse.Tests;

public sealed class RolloutCommandLineTests
{
    [Fact]
    public void Rollout_and_checksum_flags_are_parsed()
    {
        var options = CommandLine.Parse(
        [
            "--manifests", "/m", "--pod-name", "gatehouse-2", "--use-ingress-checksum", "--use-secret-checksum",
            "--checksum-api-group", "tengine.taobao.org",
        ]).Options!;

        Assert.Equal("gatehouse-2", options.PodName);
        Assert.True(options.UseIngressChecksum);
        Assert.True(options.UseSecretChecksum);
        Assert.Equal("tengine.taobao.org", options.ChecksumApiGroup);
    }

    [Fact]
    public void Checks_are_off_and_the_group_is_gatehouse_by_default()
    {
        var options = CommandLine.Parse(["--manifests", "/m"]).Options!;

        Assert.False(options.UseIngressChecksum);
        Assert.False(options.UseSecretChecksum);
        Assert.Equal("gatehouse.io", options.ChecksumApiGroup);
        Assert.Equal(ControllerOptions.DefaultPodName(), options.PodName);
    }

    [Fact]
    public void An_unknown_checksum_group_is_a_usage_error()
        => Assert.Contains("--checksum-api-group 'example.com'", CommandLine.Parse(["--manifests", "/m", "--checksum-api-group", "example.com"]).Error, StringComparison.Ordinal);

    [Fact]
    public void A_checksum_switch_takes_no_value()
        => Assert.NotNull(CommandLine.Parse(["--manifests", "/m", "--use-ingress-checksum=true"]).Error);
}
