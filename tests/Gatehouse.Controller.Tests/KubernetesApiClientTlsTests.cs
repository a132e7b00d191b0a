using System.Security.Cryptography.X509Certificates;
using System.Text;
using Gatehouse.Controller.Kubernetes.Client;
using Gatehouse.Controller.Kubernetes.Models;
using Gatehouse.Tests.FakeApiServer;
using static Gatehouse.Tests.FakeApiServer.FakeKubernetesApiServerExtensions;

namespace Gatehouse.Tests;

/// <summary>The kubeconfig's TLS settings reach the connection: private CA, client certificate, insecure-skip-tls-verify.</summary>
public sealed class KubernetesApiClientTlsTests : IAsyncLifetime
{
    private readonly string _directory = Directory.CreateTempSubdirectory("gatehouse-tls-").FullName;
    private readonly X509Certificate2 _clusterCa = TestCertificates.CreateAuthority("CN=test-cluster-ca");
    private readonly X509Certificate2 _clientCa = TestCertificates.CreateAuthority("CN=test-client-ca");
    private X509Certificate2 _serverCertificate = null!;
    private X509Certificate2 _clientCertificate = null!;
    private FakeKubernetesApiServer _server = null!;

    public async Task InitializeAsync()
    {
        _serverCertificate = TestCertificates.Issue(_clusterCa, "CN=kube-apiserver", server: true);
        _clientCertificate = TestCertificates.Issue(_clientCa, "CN=gatehouse-controller", server: false);
        _server = await FakeKubernetesApiServer.StartAsync(_serverCertificate, _clientCa);
        _server.Apply(KubeObjects.Service("web", "svc"));
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        foreach (var certificate in new[] { _clusterCa, _clientCa, _serverCertificate, _clientCertificate })
        {
            certificate.Dispose();
        }

        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task ClusterCaAndClientCertificateFromTheKubeconfigAreUsed()
    {
        var configuration = KubernetesClientConfiguration.FromKubeconfig(WriteKubeconfig(
            $"certificate-authority-data: {Base64(_clusterCa.ExportCertificatePem())}",
            clientCertificate: true));
        using var client = new KubernetesApiClient(configuration);

        var list = await client.ListAsync<Service>(Services, new ListRequest(), CancellationToken.None);

        Assert.Equal("svc", Assert.Single(list.Items).Metadata.Name);
        Assert.Equal("CN=gatehouse-controller", _server.LastClientCertificateSubject);
    }

    [Fact]
    public async Task ServerNotSignedByTheClusterCaIsRejected()
    {
        using var otherCa = TestCertificates.CreateAuthority("CN=some-other-ca");
        var configuration = KubernetesClientConfiguration.FromKubeconfig(WriteKubeconfig(
            $"certificate-authority-data: {Base64(otherCa.ExportCertificatePem())}",
            clientCertificate: true));
        using var client = new KubernetesApiClient(configuration);

        var error = await Assert.ThrowsAsync<HttpRequestException>(() => client.ListAsync<Service>(Services, new ListRequest(), CancellationToken.None));

        Assert.IsType<System.Security.Authentication.AuthenticationException>(error.InnerException);
    }

    [Fact]
    public async Task InsecureSkipTlsVerifyAcceptsAnyServerCertificate()
    {
        var configuration = KubernetesClientConfiguration.FromKubeconfig(WriteKubeconfig("insecure-skip-tls-verify: true", clientCertificate: true));
        using var client = new KubernetesApiClient(configuration);

        var list = await client.ListAsync<Service>(Services, new ListRequest(), CancellationToken.None);

        Assert.Single(list.Items);
    }

    [Fact]
    public async Task ServerRequiringAClientCertificateRefusesAClientWithout()
    {
        var configuration = KubernetesClientConfiguration.FromKubeconfig(WriteKubeconfig(
            $"certificate-authority-data: {Base64(_clusterCa.ExportCertificatePem())}",
            clientCertificate: false));
        using var client = new KubernetesApiClient(configuration);

        await Assert.ThrowsAsync<HttpRequestException>(() => client.ListAsync<Service>(Services, new ListRequest(), CancellationToken.None));
    }

    private string WriteKubeconfig(string clusterTrust, bool clientCertificate)
    {
        var user = clientCertificate
            ? $"""
                client-certificate-data: {Base64(_clientCertificate.ExportCertificatePem())}
                client-key-data: {Base64(TestCertificates.PrivateKeyPem(_clientCertificate))}
            """
            : "    token: unused";
        var path = Path.Combine(_directory, "kubeconfig");
        File.WriteAllText(path, $"""
            current-context: test
            clusters:
            - name: test
              cluster:
                server: {_server.BaseAddress}
                {clusterTrust}
            users:
            - name: test
              user:
            {user}
            contexts:
            - name: test
              context: {"{"}cluster: test, user: test{"}"}
            """);
        return path;
    }

    private static string Base64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));
}
