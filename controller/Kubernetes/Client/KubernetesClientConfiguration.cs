using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Gatehouse.Controller.Sources;

namespace Gatehouse.Controller.Kubernetes.Client;

/// <summary>
/// Where the API server is and how to authenticate to it: from a kubeconfig file (outside a cluster)
/// or from the pod's service account (inside one). Only what the controller needs is supported: bearer
/// tokens (fixed or from a file), client certificates and a CA; exec/auth-provider plugins are not.
/// </summary>
public sealed class KubernetesClientConfiguration
{
    public const string ServiceAccountDirectory = "/var/run/secrets/kubernetes.io/serviceaccount";

    public required Uri Server { get; init; }

    public BearerTokenSource? Token { get; init; }

    /// <summary>Client certificate with its private key, for mutual TLS.</summary>
    public X509Certificate2? ClientCertificate { get; init; }

    /// <summary>Roots to trust for the server certificate instead of the system store; null for the system store.</summary>
    public X509Certificate2Collection? CertificateAuthority { get; init; }

    public bool InsecureSkipTlsVerify { get; init; }

    /// <summary>The context's (or the service account's) namespace, when it names one.</summary>
    public string? Namespace { get; init; }

    /// <summary>Name of the kubeconfig context used; null in-cluster.</summary>
    public string? ContextName { get; init; }

    /// <summary>Reads a kubeconfig; <paramref name="context"/> overrides its current-context.</summary>
    public static KubernetesClientConfiguration FromKubeconfig(string path, string? context = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var fullPath = Path.GetFullPath(path);
        var documents = YamlJsonConverter.ConvertDocuments(File.ReadAllText(fullPath));
        if (documents.Count != 1 || documents[0] is not JsonObject root)
        {
            throw new InvalidDataException($"kubeconfig '{fullPath}' is not a single YAML mapping");
        }

        // Relative file references in a kubeconfig are relative to the kubeconfig itself, as kubectl resolves them.
        var baseDirectory = Path.GetDirectoryName(fullPath)!;
        var contextName = context ?? (string?)root["current-context"];
        if (string.IsNullOrEmpty(contextName))
        {
            throw new InvalidDataException($"kubeconfig '{fullPath}' has no current-context; pass --context NAME");
        }

        var contextEntry = FindNamed(root, "contexts", contextName, "context", fullPath);
        var clusterName = RequiredString(contextEntry, "cluster", $"context '{contextName}'");
        var cluster = FindNamed(root, "clusters", clusterName, "cluster", fullPath);
        var userName = (string?)contextEntry["user"];
        var user = string.IsNullOrEmpty(userName) ? new JsonObject() : FindNamed(root, "users", userName, "user", fullPath);

        var server = RequiredString(cluster, "server", $"cluster '{clusterName}'");
        if (!Uri.TryCreate(server, UriKind.Absolute, out var serverUri) || serverUri.Scheme is not ("https" or "http"))
        {
            throw new InvalidDataException($"cluster '{clusterName}' server '{server}' is not an http(s) URL");
        }

        BearerTokenSource? token = null;
        if ((string?)user["token"] is { Length: > 0 } fixedToken)
        {
            token = BearerTokenSource.FromToken(fixedToken);
        }
        else if ((string?)user["tokenFile"] is { Length: > 0 } tokenFile)
        {
            token = BearerTokenSource.FromFile(Path.Combine(baseDirectory, tokenFile));
        }

        X509Certificate2? clientCertificate = null;
        var certPem = ReadPem(user, "client-certificate", baseDirectory);
        var keyPem = ReadPem(user, "client-key", baseDirectory);
        if (certPem is not null || keyPem is not null)
        {
            if (certPem is null || keyPem is null)
            {
                throw new InvalidDataException($"user '{userName}' has a client certificate without a key or a key without a certificate");
            }

            clientCertificate = LoadClientCertificate(certPem, keyPem);
        }

        X509Certificate2Collection? authority = null;
        if (ReadPem(cluster, "certificate-authority", baseDirectory) is { } caPem)
        {
            authority = [];
            authority.ImportFromPem(caPem);
        }

        return new KubernetesClientConfiguration
        {
            Server = serverUri,
            Token = token,
            ClientCertificate = clientCertificate,
            CertificateAuthority = authority,
            InsecureSkipTlsVerify = cluster["insecure-skip-tls-verify"] is JsonValue insecure && IsTrue(insecure),
            Namespace = (string?)contextEntry["namespace"],
            ContextName = contextName,
        };
    }

    /// <summary>
    /// The pod's service account: KUBERNETES_SERVICE_HOST/PORT, and the token, CA and namespace files
    /// under <paramref name="serviceAccountDirectory"/>. The token is read from its file (and re-read) because the kubelet rotates it.
    /// </summary>
    public static KubernetesClientConfiguration InCluster(
        string serviceAccountDirectory = ServiceAccountDirectory,
        Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        var host = environment("KUBERNETES_SERVICE_HOST");
        var port = environment("KUBERNETES_SERVICE_PORT");
        if (string.IsNullOrEmpty(host) || string.IsNullOrEmpty(port))
        {
            throw new InvalidOperationException("--in-cluster needs KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT (not running in a pod?)");
        }

        var tokenPath = Path.Combine(serviceAccountDirectory, "token");
        if (!File.Exists(tokenPath))
        {
            throw new FileNotFoundException($"service account token '{tokenPath}' does not exist", tokenPath);
        }

        X509Certificate2Collection? authority = null;
        var caPath = Path.Combine(serviceAccountDirectory, "ca.crt");
        if (File.Exists(caPath))
        {
            authority = [];
            authority.ImportFromPemFile(caPath);
        }

        var namespacePath = Path.Combine(serviceAccountDirectory, "namespace");
        return new KubernetesClientConfiguration
        {
            // An IPv6 service host needs brackets in a URL.
            Server = new UriBuilder("https", host.Contains(':', StringComparison.Ordinal) ? $"[{host}]" : host, int.Parse(port, System.Globalization.CultureInfo.InvariantCulture)).Uri,
            Token = BearerTokenSource.FromFile(tokenPath),
            CertificateAuthority = authority,
            Namespace = File.Exists(namespacePath) ? File.ReadAllText(namespacePath).Trim() : null,
        };
    }

    private static X509Certificate2 LoadClientCertificate(string certPem, string keyPem)
    {
        using var ephemeral = X509Certificate2.CreateFromPem(certPem, keyPem);

        // Round-trip through PKCS#12 so the key is usable by SslStream on every platform (an ephemeral
        // key from PEM is rejected for client authentication on some).
        return X509CertificateLoader.LoadPkcs12(ephemeral.Export(X509ContentType.Pkcs12), password: null);
    }

    /// <summary>The PEM text of "NAME-data" (base64) or the file "NAME", or null when neither is set.</summary>
    private static string? ReadPem(JsonObject entry, string name, string baseDirectory)
    {
        if ((string?)entry[$"{name}-data"] is { Length: > 0 } data)
        {
            return Encoding.UTF8.GetString(Convert.FromBase64String(data));
        }

        return (string?)entry[name] is { Length: > 0 } file ? File.ReadAllText(Path.Combine(baseDirectory, file)) : null;
    }

    private static bool IsTrue(JsonValue value)
        => value.TryGetValue<bool>(out var flag) ? flag
            : value.TryGetValue<string>(out var text) && bool.TryParse(text, out flag) && flag;

    private static JsonObject FindNamed(JsonObject root, string listName, string name, string field, string path)
    {
        foreach (var item in root[listName] as JsonArray ?? [])
        {
            if (item is JsonObject entry && string.Equals((string?)entry["name"], name, StringComparison.Ordinal))
            {
                return entry[field] as JsonObject ?? [];
            }
        }

        throw new InvalidDataException($"kubeconfig '{path}' has no {field} named '{name}'");
    }

    private static string RequiredString(JsonObject entry, string field, string owner)
        => (string?)entry[field] is { Length: > 0 } value ? value : throw new InvalidDataException($"{owner} has no {field}");
}
