using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Gatehouse.Controller.Checksums;
using Gatehouse.Controller.Events;
using Gatehouse.Controller.Sources;

namespace Gatehouse.Tests;

public sealed class ChecksumTests
{
    private const string Prefix = "nginx.ingress.kubernetes.io/";

    // Expected digests computed outside .NET: python3 -c "import hashlib; print(hashlib.md5(b'1-2,10-1,2-3').hexdigest())"
    [Theory]
    [InlineData(new[] { "2-3", "10-1", "1-2" }, "85bbd82cd401cd13fc2c1f2345db5cca")]
    [InlineData(new[] { "0-7" }, "9905507fa1799d38269bff7a2589a685")]
    [InlineData(new string[0], "d41d8cd98f00b204e9800998ecf8427e")]
    public void Ids_are_sorted_as_strings_joined_with_commas_and_md5_hashed(string[] ids, string expected)
    {
        var sorted = ChecksumCalculator.Sort(ids);
        Assert.Equal(expected, ChecksumCalculator.Md5(sorted));
    }

    [Fact]
    public void Sorting_is_by_string_not_by_number()
        => Assert.Equal("1-2,10-1,2-3", ChecksumCalculator.Join(ChecksumCalculator.Sort(["2-3", "10-1", "1-2"])));

    [Fact]
    public void An_ingress_id_is_its_name_suffix_and_version()
    {
        var snapshot = Snapshots.FromYaml(Ingress("shop-12", "7"), Ingress("no-suffix", "3"), Ingress("bad-4", "v3"), Ingress("none-5", null));

        Assert.Equal("12-7", ChecksumIds.ForIngress(snapshot.Ingresses["default/shop-12"], Prefix));
        Assert.Null(ChecksumIds.ForIngress(snapshot.Ingresses["default/no-suffix"], Prefix));
        Assert.Null(ChecksumIds.ForIngress(snapshot.Ingresses["default/bad-4"], Prefix));
        Assert.Null(ChecksumIds.ForIngress(snapshot.Ingresses["default/none-5"], Prefix));
    }

    [Fact]
    public void A_secret_id_adds_the_sha1_of_its_leaf_certificate()
    {
        using var leaf = SelfSigned("leaf.example");
        using var issuer = SelfSigned("ca.example");

        // Chain order: the leaf first, as kubernetes.io/tls Secrets carry it.
        var pem = leaf.ExportCertificatePem() + "\n" + issuer.ExportCertificatePem();
        var snapshot = Snapshots.FromYaml(TlsSecret("cert-3", "9", pem));

        // The thumbprint X509Certificate2 reports is the SHA-1 of the DER: an independent way to the same value.
        var expected = $"3-9-{leaf.GetCertHashString(HashAlgorithmName.SHA1).ToLowerInvariant()}";
        Assert.Equal(expected, ChecksumIds.ForSecret(snapshot.Secrets["default/cert-3"], Prefix));
    }

    [Fact]
    public void Consistent_when_any_resource_matches_or_none_exists()
    {
        var gate = new ChecksumGate(true, false, Prefix, NullEventRecorder.Instance, new TestLogger<ChecksumGate>());
        var objects = Snapshots.FromYaml(Ingress("a-1", "1"), Ingress("b-2", "1"));

        Assert.Same(objects.Ingresses, gate.Apply(objects)!.Ingresses);
        Assert.Equal(0, gate.IngressMismatch);

        // "1-1,2-1": python3 -c "import hashlib; print(hashlib.md5(b'1-1,2-1').hexdigest())"
        var matching = With(objects, CheckSum("old", "0000", "9-9", "2020-01-01T00:00:00Z"), CheckSum("new", "fa156b4bd8c0020ac67f2ed8d8dfb261", "x", "2030-01-01T00:00:00Z"));
        Assert.NotNull(gate.Apply(matching));
        Assert.Equal(0, gate.IngressMismatch);
    }

    [Fact]
    public void A_mismatch_keeps_the_last_consistent_ingresses_while_secrets_still_flow_and_recovers_when_fixed()
    {
        var events = new RecordingEvents();
        var logger = new TestLogger<ChecksumGate>();
        var gate = new ChecksumGate(true, false, Prefix, events, logger);
        var good = Snapshots.FromYaml(Ingress("a-1", "1"));
        var goodSum = Md5("1-1");
        Assert.Same(good.Ingresses, gate.Apply(With(good, CheckSum("sum", goodSum, "1-1", "2030-01-01T00:00:00Z")))!.Ingresses);

        // An Ingress appears that the CR does not know, and a new Secret arrives at the same time.
        var dirty = Snapshots.FromYaml(Ingress("a-1", "2"), Ingress("b-5", "1"), TlsSecret("cert-1", "1", "not checked"));
        var served = gate.Apply(With(dirty, CheckSum("sum", goodSum, "1-1", "2030-01-01T00:00:00Z")))!;

        Assert.Same(good.Ingresses, served.Ingresses);
        Assert.Same(dirty.Secrets, served.Secrets);
        Assert.Equal(1, gate.IngressMismatch);
        var recorded = Assert.Single(events.Recorded);
        Assert.Equal(("IngressCheckSum", "ChecksumMismatch", "sum"), (recorded.Kind, recorded.Reason, recorded.Name));
        Assert.Contains("1 ids missing from the cluster [1-1]", recorded.Message, StringComparison.Ordinal);
        Assert.Contains("2 unexpected [1-2,5-1]", recorded.Message, StringComparison.Ordinal);

        // The same difference again is not reported again.
        gate.Apply(With(dirty, CheckSum("sum", goodSum, "1-1", "2030-01-01T00:00:00Z")));
        Assert.Single(events.Recorded);

        // The pipeline publishes a CR for the new set: consistent again.
        var fixedSnapshot = With(dirty, CheckSum("sum", Md5("1-2,5-1"), "1-2,5-1", "2030-01-02T00:00:00Z"));
        Assert.Same(dirty.Ingresses, gate.Apply(fixedSnapshot)!.Ingresses);
        Assert.Equal(0, gate.IngressMismatch);
    }

    [Fact]
    public void A_mismatch_with_nothing_consistent_yet_blocks_the_pass()
    {
        var gate = new ChecksumGate(false, true, Prefix, NullEventRecorder.Instance, new TestLogger<ChecksumGate>());
        var snapshot = Snapshots.FromYaml(TlsSecret("cert-1", "1", "x"));
        var withCr = snapshot with
        {
            SecretCheckSums = Snapshots.Dict(("default/s", Snapshots.Parse(SecretCheckSumYaml("s", "ffff")).OfType<Controller.Kubernetes.Models.SecretCheckSum>().Single())),
        };

        Assert.Null(gate.Apply(withCr));
        Assert.Equal(1, gate.SecretMismatch);
    }

    private static string Md5(string joined) => Convert.ToHexStringLower(MD5.HashData(Encoding.UTF8.GetBytes(joined)));

    private static ResourceSnapshot With(ResourceSnapshot snapshot, params string[] checkSums)
    {
        var resources = checkSums.SelectMany(Snapshots.Parse).OfType<Controller.Kubernetes.Models.IngressCheckSum>();
        return snapshot with
        {
            IngressCheckSums = resources.ToImmutableSortedDictionary(r => $"default/{r.Metadata.Name}", r => r, StringComparer.Ordinal),
        };
    }

    private static X509Certificate2 SelfSigned(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        using var withKey = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        return X509CertificateLoader.LoadCertificate(withKey.RawData);
    }

    private static string Ingress(string name, string? version) => $$"""
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata:
          name: {{name}}
          annotations: {{(version is null ? "{}" : $"{{\"{Prefix}version\": \"{version}\"}}")}}
        spec:
          defaultBackend:
            service:
              name: web
              port: {number: 80}
        """;

    private static string TlsSecret(string name, string version, string certificatePem) => $$"""
        apiVersion: v1
        kind: Secret
        type: kubernetes.io/tls
        metadata:
          name: {{name}}
          annotations: {"{{Prefix}}version": "{{version}}"}
        data: {tls.crt: {{Convert.ToBase64String(Encoding.ASCII.GetBytes(certificatePem))}}, tls.key: AAAA}
        """;

    private static string CheckSum(string name, string checksum, string ids, string timestamp) => $$"""
        apiVersion: gatehouse.io/v1
        kind: IngressCheckSum
        metadata: {name: {{name}}}
        spec: {timestamp: "{{timestamp}}", checksum: "{{checksum}}", ids: "{{ids}}"}
        """;

    private static string SecretCheckSumYaml(string name, string checksum) => $$"""
        apiVersion: tengine.taobao.org/v1
        kind: SecretCheckSum
        metadata: {name: {{name}}}
        spec: {checksum: "{{checksum}}", ids: ""}
        """;

    private sealed class RecordingEvents : IEventRecorder
    {
        public List<ObjectEvent> Recorded { get; } = [];

        public void Record(ObjectEvent objectEvent) => Recorded.Add(objectEvent);
    }
}
