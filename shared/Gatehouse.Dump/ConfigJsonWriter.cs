using System.Text.Json;
using Gatehouse.Model;

namespace Gatehouse.Dump;

/// <summary>
/// Renders a <see cref="GatehouseConfig"/> as JSON. Key order is a documented contract
/// (docs/operations.md, "gatehouse-dump --json"): new keys are only ever appended. Collections keep
/// their stored order, so equal configs render to equal text and diffs are stable.
/// </summary>
internal static class ConfigJsonWriter
{
    public const string Redacted = "<redacted>";

    public static void Write(Utf8JsonWriter json, GatehouseConfig config, bool showSecrets)
    {
        json.WriteStartObject();
        json.WriteString("schema", config.Schema.ToString());
        json.WriteNumber("generation", config.Generation);

        json.WriteStartArray("hosts");
        foreach (var host in config.Hosts)
        {
            json.WriteStartObject();
            json.WriteString("host", host.Host);
            WriteNullableString(json, "certificate", host.Certificate);
            json.WriteStartArray("routes");
            foreach (var route in host.Routes)
            {
                WriteRoute(json, route);
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        json.WriteEndArray();

        json.WriteStartArray("backends");
        foreach (var backend in config.Backends)
        {
            json.WriteStartObject();
            json.WriteString("name", backend.Name);
            json.WriteString("namespace", backend.Namespace);
            json.WriteString("service", backend.Service);
            json.WriteString("port", backend.Port);
            json.WriteString("protocol", backend.Protocol.ToString());
            json.WriteStartArray("endpoints");
            foreach (var endpoint in backend.Endpoints)
            {
                json.WriteStartObject();
                json.WriteString("address", endpoint.Address);
                json.WriteNumber("port", endpoint.Port);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        json.WriteEndArray();

        WriteNullableString(json, "defaultBackend", config.DefaultBackend);

        json.WriteStartArray("certificates");
        foreach (var certificate in config.Certificates)
        {
            json.WriteStartObject();
            json.WriteString("name", certificate.Name);
            json.WriteStartArray("hosts");
            foreach (var host in certificate.Hosts)
            {
                json.WriteStringValue(host);
            }

            json.WriteEndArray();
            json.WriteString("certificatePem", certificate.CertificatePem);

            // Dumps end up in tickets and chat; the key only leaves on explicit request.
            json.WriteString("privateKeyPem", showSecrets ? certificate.PrivateKeyPem : Redacted);
            json.WriteEndObject();
        }

        json.WriteEndArray();

        // Schema 1.1 fields go last so the order of the older keys, which scripts may rely on, is unchanged.
        WriteNullableString(json, "publishedBy", config.PublishedBy);
        WriteNullableString(json, "configHash", config.ConfigHash);

        // Schema 1.2: only when present, so dumps of older configs render exactly as before.
        if (!config.AppliedObjects.IsDefaultOrEmpty)
        {
            json.WriteStartArray("appliedObjects");
            foreach (var applied in config.AppliedObjects)
            {
                json.WriteStartObject();
                json.WriteString("kind", applied.Kind);
                json.WriteString("name", applied.Name);
                WriteNullableString(json, "revision", applied.Revision);
                WriteManifest(json, applied, showSecrets);
                json.WriteEndObject();
            }

            json.WriteEndArray();
        }

        json.WriteEndObject();
    }

    /// <summary>
    /// The applied copy as JSON. A Secret's manifest carries its private key (data."tls.key"), which is
    /// redacted like <see cref="CertificateConfig.PrivateKeyPem"/>; an unreadable Secret manifest is
    /// withheld whole rather than risk printing the key.
    /// </summary>
    private static void WriteManifest(Utf8JsonWriter json, AppliedObjectConfig applied, bool showSecrets)
    {
        if (applied.Manifest is null)
        {
            json.WriteNull("manifest");
            return;
        }

        System.Text.Json.Nodes.JsonNode? manifest;
        try
        {
            manifest = System.Text.Json.Nodes.JsonNode.Parse(applied.Manifest);
        }
        catch (JsonException)
        {
            manifest = null;
        }

        var secret = applied.Kind == "Secret";
        if (manifest is null)
        {
            json.WriteString("manifest", secret && !showSecrets ? Redacted : applied.Manifest);
            return;
        }

        if (secret && !showSecrets && manifest["data"] is System.Text.Json.Nodes.JsonObject data && data.ContainsKey("tls.key"))
        {
            data["tls.key"] = Redacted;
        }

        json.WritePropertyName("manifest");
        manifest.WriteTo(json);
    }

    /// <summary>One route as an object; the diff writer renders added and removed routes the same way.</summary>
    internal static void WriteRoute(Utf8JsonWriter json, RouteConfig route)
    {
        json.WriteStartObject();
        json.WriteString("path", route.Path);
        json.WriteString("match", route.Match.ToString());
        json.WriteString("backend", route.Backend);
        json.WriteString("ingress", route.Ingress);
        json.WriteEndObject();
    }

    private static void WriteNullableString(Utf8JsonWriter json, string name, string? value)
    {
        if (value is null)
        {
            json.WriteNull(name);
        }
        else
        {
            json.WriteString(name, value);
        }
    }
}
