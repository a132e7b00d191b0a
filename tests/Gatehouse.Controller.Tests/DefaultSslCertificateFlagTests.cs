using Gatehouse.Controller;

namespace Gatehouse.Tests;

public sealed class DefaultSslCertificateFlagTests
{
    [Fact]
    public void NamespaceSlashNameIsAccepted()
    {
        var result = CommandLine.Parse(["--manifests", "/m", "--default-ssl-certificate", "ingress/default-tls"]);

        Assert.Equal("ingress/default-tls", result.Options!.DefaultSslCertificate);
        Assert.Null(CommandLine.Parse(["--manifests", "/m"]).Options!.DefaultSslCertificate);
    }

    [Theory]
    [InlineData("default-tls")]
    [InlineData("/default-tls")]
    [InlineData("ns/")]
    [InlineData("a/b/c")]
    public void AnythingElseIsAUsageError(string value)
    {
        var result = CommandLine.Parse(["--manifests", "/m", "--default-ssl-certificate", value]);

        Assert.Null(result.Options);
        Assert.Contains("--default-ssl-certificate", result.Error, StringComparison.Ordinal);
    }
}
