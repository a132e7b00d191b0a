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
    public void ChannelDefaultsToThePodPath()
    {
        var result = CommandLine.Parse(["--manifests", "/etc/m"]);

        Assert.Null(result.Error);
        Assert.Equal("/var/run/gatehouse/config.bin", result.Options!.ChannelPath);
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
    [InlineData("unknown option '--bogus'", "--manifests", "/m", "--channel", "/c", "--bogus", "1")]
    [InlineData("needs a value", "--manifests", "/m", "--channel")]
    [InlineData("more than once", "--manifests", "/m", "--manifests", "/n", "--channel", "/c")]
    [InlineData("not a port number", "--manifests", "/m", "--channel", "/c", "--admin-port", "70000")]
    [InlineData("not an IP address", "--manifests", "/m", "--channel", "/c", "--admin-address", "localhost")]
    [InlineData("milliseconds", "--manifests", "/m", "--channel", "/c", "--debounce-ms", "-5")]
    [InlineData("unexpected argument 'stray'", "stray")]
    [InlineData("give exactly one", "--manifests", "/m", "--kubeconfig", "/k", "--channel", "/c")]
    [InlineData("give exactly one", "--manifests", "/m", "--in-cluster", "--channel", "/c")]
    [InlineData("give exactly one", "--kubeconfig", "/k", "--in-cluster", "--channel", "/c")]
    [InlineData("missing required option --manifests DIR (or --kubeconfig PATH, or --in-cluster)", "--channel", "/c", "--watch-namespace", "web")]
    [InlineData("--context needs --kubeconfig", "--in-cluster", "--context", "prod", "--channel", "/c")]
    [InlineData("--watch-namespace needs --kubeconfig or --in-cluster", "--manifests", "/m", "--watch-namespace", "web", "--channel", "/c")]
    [InlineData("'--in-cluster' takes no value", "--in-cluster=true", "--channel", "/c")]
    [InlineData("'--in-cluster' given more than once", "--in-cluster", "--in-cluster", "--channel", "/c")]
    [InlineData("is not a DNS-style prefix", "--manifests", "/m", "--annotations-prefix", "a/b")]
    [InlineData("--max-canaries-per-path '0' is not a positive integer", "--manifests", "/m", "--max-canaries-per-path", "0")]
    [InlineData("--max-canaries-per-path 'x' is not a positive integer", "--manifests", "/m", "--max-canaries-per-path", "x")]
    public void BadUsageIsAnError(string expectedError, params string[] args)
    {
        var result = CommandLine.Parse(args);

        Assert.Null(result.Options);
        Assert.Contains(expectedError, result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void AnnotationsPrefixDefaultsToIngressNginxAndDropsATrailingSlash()
    {
        Assert.Equal("nginx.ingress.kubernetes.io", CommandLine.Parse(["--manifests", "/m"]).Options!.AnnotationsPrefix);
        Assert.Equal("gatehouse.io", CommandLine.Parse(["--manifests", "/m", "--annotations-prefix=gatehouse.io/"]).Options!.AnnotationsPrefix);
    }

    [Fact]
    public void MaxCanariesPerPathDefaultsTo20()
    {
        Assert.Equal(20, CommandLine.Parse(["--manifests", "/m"]).Options!.MaxCanariesPerPath);
        Assert.Equal(3, CommandLine.Parse(["--manifests", "/m", "--max-canaries-per-path", "3"]).Options!.MaxCanariesPerPath);
    }

    [Fact]
    public void HelpIsRecognised()
    {
        Assert.False(CommandLine.Parse(["--bogus", "--help"]).ShowHelp); // the unknown flag is reported first
        Assert.True(CommandLine.Parse(["--manifests", "/m", "-h"]).ShowHelp);
        Assert.True(CommandLine.Parse(["--help"]).ShowHelp);
    }

    [Fact]
    public void KubeconfigModeReplacesTheManifestsFolder()
    {
        var result = CommandLine.Parse(["--kubeconfig", "/home/u/.kube/config", "--context=prod", "--watch-namespace", "web", "--channel", "/c"]);

        var options = Assert.IsType<ControllerOptions>(result.Options);
        Assert.Equal(("/home/u/.kube/config", "prod", "web", false, (string?)null, true),
            (options.Kubeconfig, options.KubeContext, options.WatchNamespace, options.InCluster, options.ManifestsDirectory, options.UsesKubernetesApi));
    }

    [Fact]
    public void InClusterModeTakesNoValueAndWatchesAllNamespacesByDefault()
    {
        var result = CommandLine.Parse(["--in-cluster", "--channel", "/c", "--admin-port", "9000"]);

        var options = Assert.IsType<ControllerOptions>(result.Options);
        Assert.Equal((true, (string?)null, (string?)null, (string?)null, true, 9000),
            (options.InCluster, options.Kubeconfig, options.WatchNamespace, options.ManifestsDirectory, options.UsesKubernetesApi, options.AdminPort));
        Assert.False(CommandLine.Parse(["--manifests", "/m", "--channel", "/c"]).Options!.UsesKubernetesApi);
    }

    [Fact]
    public void UsageListsEverySourceFlag()
    {
        foreach (var flag in new[] { "--manifests DIR", "--kubeconfig PATH", "--context NAME", "--in-cluster", "--watch-namespace NS" })
        {
            Assert.Contains(flag, CommandLine.Usage, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void StatusElectionAndStorageFlagsAreParsed()
    {
        var result = CommandLine.Parse(
        [
            "--in-cluster", "--publish-service", "gatehouse/gatehouse", "--election-id=edge-leader", "--pod-namespace", "edge",
            "--ingress-storage-kubeconfig", "/etc/storage/kubeconfig",
        ]);

        var options = Assert.IsType<ControllerOptions>(result.Options);
        Assert.Equal(("gatehouse/gatehouse", "edge-leader", "edge", "/etc/storage/kubeconfig", true),
            (options.PublishService, options.ElectionId, options.PodNamespace, options.IngressStorageKubeconfig, options.WritesIngressStatus));

        var addresses = CommandLine.Parse(["--in-cluster", "--publish-status-address", "192.0.2.1, lb.example.com"]).Options!;
        Assert.Equal(["192.0.2.1", "lb.example.com"], addresses.PublishStatusAddresses!);
        Assert.Equal((ControllerOptions.DefaultElectionId, (string?)null), (addresses.ElectionId, addresses.PodNamespace));
        Assert.False(CommandLine.Parse(["--in-cluster"]).Options!.WritesIngressStatus);
    }

    [Theory]
    [InlineData("need --kubeconfig or --in-cluster", "--manifests", "/m", "--publish-status-address", "192.0.2.1")]
    [InlineData("need --kubeconfig or --in-cluster", "--manifests", "/m", "--ingress-storage-kubeconfig", "/k")]
    [InlineData("alternatives", "--in-cluster", "--publish-service", "a/b", "--publish-status-address", "192.0.2.1")]
    [InlineData("is not NAMESPACE/NAME", "--in-cluster", "--publish-service", "gatehouse")]
    [InlineData("is not NAMESPACE/NAME", "--in-cluster", "--publish-service", "a/b/c")]
    [InlineData("comma-separated list", "--in-cluster", "--publish-status-address", "192.0.2.1,,b")]
    public void StatusAndStorageFlagMistakesAreUsageErrors(string expected, params string[] args)
    {
        var result = CommandLine.Parse(args);

        Assert.Null(result.Options);
        Assert.Contains(expected, result.Error, StringComparison.Ordinal);
    }
}
