using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Gatehouse.Controller.Kubernetes.Client;

namespace Gatehouse.Tests;

public sealed class KubernetesClientConfigurationTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("gatehouse-kubeconfig-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void CurrentContextSelectsClusterUserAndNamespace()
    {
        using var ca = CreateCertificate("CN=cluster-ca");
        using var client = CreateCertificate("CN=admin");
        var path = WriteKubeconfig($"""
            apiVersion: v1
            kind: Config
            current-context: prod
            clusters:
            - name: prod-cluster
              cluster:
                server: https://10.0.0.1:6443
                certificate-authority-data: {Base64(ca.ExportCertificatePem())}
            - name: dev-cluster
              cluster:
                server: https://dev.example:6443
                insecure-skip-tls-verify: true
            users:
            - name: admin
              user:
                client-certificate-data: {Base64(client.ExportCertificatePem())}
                client-key-data: {Base64(client.GetRSAPrivateKey()!.ExportPkcs8PrivateKeyPem())}
            - name: dev
              user:
                token: dev-token
            contexts:
            - name: prod
              context:
                cluster: prod-cluster
                user: admin
                namespace: ingress
            - name: dev
              context:
                cluster: dev-cluster
                user: dev
            """);

        var prod = KubernetesClientConfiguration.FromKubeconfig(path);

        Assert.Equal(new Uri("https://10.0.0.1:6443"), prod.Server);
        Assert.Equal("prod", prod.ContextName);
        Assert.Equal("ingress", prod.Namespace);
        Assert.Null(prod.Token);
        Assert.False(prod.InsecureSkipTlsVerify);
        Assert.Equal(ca.Thumbprint, Assert.Single(prod.CertificateAuthority!).Thumbprint);
        Assert.Equal(client.Thumbprint, prod.ClientCertificate!.Thumbprint);
        Assert.True(prod.ClientCertificate.HasPrivateKey);

        var dev = KubernetesClientConfiguration.FromKubeconfig(path, "dev");

        Assert.Equal(new Uri("https://dev.example:6443"), dev.Server);
        Assert.Equal("dev-token", dev.Token!.GetToken());
        Assert.Null(dev.Token.TokenFile);
        Assert.True(dev.InsecureSkipTlsVerify);
        Assert.Null(dev.CertificateAuthority);
        Assert.Null(dev.ClientCertificate);
        Assert.Null(dev.Namespace);
    }

    [Fact]
    public void FilesAreResolvedRelativeToTheKubeconfig()
    {
        using var ca = CreateCertificate("CN=cluster-ca");
        using var client = CreateCertificate("CN=admin");
        File.WriteAllText(Path.Combine(_directory, "ca.crt"), ca.ExportCertificatePem());
        File.WriteAllText(Path.Combine(_directory, "client.crt"), client.ExportCertificatePem());
        File.WriteAllText(Path.Combine(_directory, "client.key"), client.GetRSAPrivateKey()!.ExportPkcs8PrivateKeyPem());
        File.WriteAllText(Path.Combine(_directory, "token"), "file-token\n");
        var path = WriteKubeconfig("""
            current-context: files
            clusters:
            - name: c
              cluster:
                server: https://127.0.0.1:6443
                certificate-authority: ca.crt
            users:
            - name: u
              user:
                client-certificate: client.crt
                client-key: client.key
                tokenFile: token
            contexts:
            - name: files
              context: {cluster: c, user: u}
            """);

        var configuration = KubernetesClientConfiguration.FromKubeconfig(path);

        Assert.Equal(ca.Thumbprint, Assert.Single(configuration.CertificateAuthority!).Thumbprint);
        Assert.Equal(client.Thumbprint, configuration.ClientCertificate!.Thumbprint);
        Assert.Equal(Path.Combine(_directory, "token"), configuration.Token!.TokenFile);
        Assert.Equal("file-token", configuration.Token.GetToken());
    }

    [Theory]
    [InlineData("no current-context", "clusters: []\nusers: []\ncontexts: []\n", null)]
    [InlineData("no context named 'missing'", "current-context: x\ncontexts: []\n", "missing")]
    [InlineData("no cluster named 'nowhere'", "contexts:\n- name: x\n  context: {cluster: nowhere}\n", "x")]
    [InlineData("is not an http(s) URL", "clusters:\n- name: c\n  cluster: {server: 'ftp://x'}\ncontexts:\n- name: x\n  context: {cluster: c}\n", "x")]
    [InlineData("without a key", "clusters:\n- name: c\n  cluster: {server: 'https://x'}\nusers:\n- name: u\n  user: {client-certificate-data: eA==}\ncontexts:\n- name: x\n  context: {cluster: c, user: u}\n", "x")]
    public void BrokenKubeconfigsAreRejectedWithAReason(string expected, string yaml, string? context)
    {
        var path = WriteKubeconfig(yaml);

        var error = Assert.Throws<InvalidDataException>(() => KubernetesClientConfiguration.FromKubeconfig(path, context));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void InClusterUsesTheServiceAccountFiles()
    {
        using var ca = CreateCertificate("CN=cluster-ca");
        File.WriteAllText(Path.Combine(_directory, "token"), "sa-token");
        File.WriteAllText(Path.Combine(_directory, "ca.crt"), ca.ExportCertificatePem());
        File.WriteAllText(Path.Combine(_directory, "namespace"), "gatehouse-system\n");
        var environment = new Dictionary<string, string> { ["KUBERNETES_SERVICE_HOST"] = "10.96.0.1", ["KUBERNETES_SERVICE_PORT"] = "443" };

        var configuration = KubernetesClientConfiguration.InCluster(_directory, name => environment.GetValueOrDefault(name));

        Assert.Equal(new Uri("https://10.96.0.1:443"), configuration.Server);
        Assert.Equal(Path.Combine(_directory, "token"), configuration.Token!.TokenFile);
        Assert.Equal("sa-token", configuration.Token.GetToken());
        Assert.Equal(ca.Thumbprint, Assert.Single(configuration.CertificateAuthority!).Thumbprint);
        Assert.Equal("gatehouse-system", configuration.Namespace);

        var ipv6 = KubernetesClientConfiguration.InCluster(_directory, name => name == "KUBERNETES_SERVICE_HOST" ? "fd00::1" : "6443");
        Assert.Equal("[fd00::1]", ipv6.Server.Host);
    }

    [Fact]
    public void InClusterOutsideAPodIsAnError()
    {
        var error = Assert.Throws<InvalidOperationException>(() => KubernetesClientConfiguration.InCluster(_directory, _ => null));

        Assert.Contains("KUBERNETES_SERVICE_HOST", error.Message, StringComparison.Ordinal);
    }

    private string WriteKubeconfig(string yaml)
    {
        var path = Path.Combine(_directory, "kubeconfig");
        File.WriteAllText(path, yaml);
        return path;
    }

    private static string Base64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));

    private static X509Certificate2 CreateCertificate(string subject)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
    }
}
