using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using BenchmarkDotNet.Attributes;
using Gatehouse.Controller.Checksums;
using Gatehouse.Controller.Events;
using Gatehouse.Controller.Kubernetes.Models;
using Gatehouse.Controller.Sources;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gatehouse.Benchmarks;

/// <summary>
/// The global consistency check at the scale: ids and MD5 of 100,000 Ingresses and of 1,000
/// TLS Secrets (PEM decode + SHA-1 of each leaf), and a whole gate pass after an Ingress change.
/// </summary>
[MemoryDiagnoser]
public class ChecksumBenchmarks
{
    private const string Prefix = "nginx.ingress.kubernetes.io/";

    private ResourceSnapshot _snapshot = ResourceSnapshot.Empty;
    private ResourceSnapshot _changed = ResourceSnapshot.Empty;
    private ChecksumGate _gate = null!;
    private bool _flip;

    [GlobalSetup]
    public void Setup()
    {
        var ingresses = ImmutableSortedDictionary.CreateBuilder<string, Ingress>(StringComparer.Ordinal);
        for (var i = 0; i < 100_000; i++)
        {
            var ingress = new Ingress { Metadata = new ObjectMeta { Name = $"site-{i}", Namespace = "web", Annotations = new() { [Prefix + "version"] = $"{i % 97}" } } };
            ingresses[$"web/site-{i}"] = ingress;
        }

        var secrets = ImmutableSortedDictionary.CreateBuilder<string, Secret>(StringComparer.Ordinal);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        for (var i = 0; i < 1_000; i++)
        {
            var request = new CertificateRequest($"CN=site-{i}.example", key, HashAlgorithmName.SHA256);
            using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(90));
            var pem = Convert.ToBase64String(Encoding.ASCII.GetBytes(certificate.ExportCertificatePem()));
            secrets[$"web/cert-{i}"] = new Secret
            {
                Type = "kubernetes.io/tls",
                Metadata = new ObjectMeta { Name = $"cert-{i}", Namespace = "web", Annotations = new() { [Prefix + "version"] = "1" } },
                Data = new() { ["tls.crt"] = pem, ["tls.key"] = "" },
            };
        }

        _snapshot = ResourceSnapshot.Empty with { Ingresses = ingresses.ToImmutable(), Secrets = secrets.ToImmutable() };
        var edited = new Ingress { Metadata = new ObjectMeta { Name = "site-7", Namespace = "web", Annotations = new() { [Prefix + "version"] = "1000" } } };
        _changed = _snapshot with { Ingresses = _snapshot.Ingresses.SetItem("web/site-7", edited) };
        _gate = new ChecksumGate(true, true, Prefix, NullEventRecorder.Instance, NullLogger<ChecksumGate>.Instance);
    }

    [Benchmark]
    public string Ingresses100k()
        => ChecksumCalculator.Md5(ChecksumCalculator.Sort(_snapshot.Ingresses.Values.Select(i => ChecksumIds.ForIngress(i, Prefix)).OfType<string>()));

    [Benchmark]
    public string Secrets1k()
        => ChecksumCalculator.Md5(ChecksumCalculator.Sort(_snapshot.Secrets.Values.Select(s => ChecksumIds.ForSecret(s, Prefix)).OfType<string>()));

    /// <summary>A controller pass after one Ingress changed: Ingresses rehashed, Secrets served from the cached result.</summary>
    [Benchmark]
    public ResourceSnapshot GatePassAfterIngressChange()
    {
        _flip = !_flip;
        return _gate.Apply(_flip ? _changed : _snapshot)!;
    }
}
