extern alias dump;

using System.Text;
using System.Text.Json;
using ConfigJsonWriter = dump::Gatehouse.Dump.ConfigJsonWriter;

namespace Gatehouse.Tests.Channel;

public sealed class ConfigJsonWriterTests
{
    [Fact]
    public void RedactsPrivateKeysUnlessAskedAndKeepsKeyOrder()
    {
        var redacted = Render(showSecrets: false);
        Assert.DoesNotContain("SECRET-KEY", redacted, StringComparison.Ordinal);

        using var document = JsonDocument.Parse(redacted);
        var root = document.RootElement;
        Assert.Equal(
            ["schema", "generation", "hosts", "backends", "defaultBackend", "certificates", "publishedBy", "configHash", "defaultCertificate", "appliedObjects"],
            root.EnumerateObject().Select(p => p.Name));
        Assert.Equal(
            ["name", "namespace", "service", "port", "protocol", "endpoints"],
            root.GetProperty("backends")[0].EnumerateObject().Select(p => p.Name));
        Assert.Equal("fd00::7", root.GetProperty("backends")[0].GetProperty("endpoints")[1].GetProperty("address").GetString());
        Assert.Equal("Exact", root.GetProperty("hosts")[0].GetProperty("routes")[0].GetProperty("match").GetString());
        var certificate = root.GetProperty("certificates")[0];
        Assert.Equal("<redacted>", certificate.GetProperty("privateKeyPem").GetString());
        Assert.StartsWith("-----BEGIN CERTIFICATE-----", certificate.GetProperty("certificatePem").GetString(), StringComparison.Ordinal);

        Assert.Contains("SECRET-KEY", Render(showSecrets: true), StringComparison.Ordinal);
        Assert.Equal(redacted, Render(showSecrets: false));
    }

    [Fact]
    public void RedactsAppliedSecretManifestsButNotIngresses()
    {
        var config = DumpToolTests.SampleConfig() with
        {
            AppliedObjects =
            [
                new Gatehouse.Model.AppliedObjectConfig { Kind = "Ingress", Name = "shop/web", Revision = "2", Manifest = "{\"kind\":\"Ingress\"}" },
                new Gatehouse.Model.AppliedObjectConfig { Kind = "Secret", Name = "shop/tls", Revision = "1", Manifest = "{\"data\":{\"tls.key\":\"SECRET-KEY\"}}" },
            ],
        };

        var redacted = Render(config, showSecrets: false);
        Assert.DoesNotContain("SECRET-KEY", redacted, StringComparison.Ordinal);
        using var document = JsonDocument.Parse(redacted);
        var applied = document.RootElement.GetProperty("appliedObjects");
        Assert.Equal("{\"kind\":\"Ingress\"}", applied[0].GetProperty("manifest").GetString());
        Assert.Equal("<redacted>", applied[1].GetProperty("manifest").GetString());
        Assert.Contains("SECRET-KEY", Render(config, showSecrets: true), StringComparison.Ordinal);
    }

    private static string Render(bool showSecrets) => Render(DumpToolTests.SampleConfig(), showSecrets);

    private static string Render(Gatehouse.Model.GatehouseConfig config, bool showSecrets)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            ConfigJsonWriter.Write(json, config, showSecrets);
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }
}
