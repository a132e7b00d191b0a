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

            // Schema 1.2 keys are appended after the older ones (the order is a contract).
            WriteStrings(json, "certificates", host.Certificates);
            PolicyJsonWriter.WriteTlsPolicy(json, "tls", host.Tls);
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

        // Schema 1.2.
        WriteNullableString(json, "defaultCertificate", config.DefaultCertificate);
        json.WriteStartArray("appliedObjects");
        foreach (var applied in config.AppliedObjects)
        {
            json.WriteStartObject();
            json.WriteString("kind", applied.Kind);
            json.WriteString("name", applied.Name);
            json.WriteString("revision", applied.Revision);

            // An applied Secret is the whole object, tls.key included.
            json.WriteString("manifest", showSecrets || applied.Kind != "Secret" ? applied.Manifest : Redacted);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    /// <summary>One route as an object; the diff writer renders added and removed routes the same way.</summary>
    internal static void WriteRoute(Utf8JsonWriter json, RouteConfig route)
    {
        json.WriteStartObject();
        json.WriteString("path", route.Path);
        json.WriteString("match", route.Match.ToString());
        json.WriteString("backend", route.Backend);
        json.WriteString("ingress", route.Ingress);

        // Schema 1.2.
        json.WriteStartArray("canaries");
        foreach (var canary in route.Canaries)
        {
            PolicyJsonWriter.WriteCanary(json, canary);
        }

        json.WriteEndArray();
        PolicyJsonWriter.WriteUpstream(json, "upstream", route.Upstream);
        json.WriteBoolean("sslRedirect", route.SslRedirect);
        json.WriteBoolean("forceSslRedirect", route.ForceSslRedirect);
        json.WriteBoolean("accessLog", route.AccessLog);
        PolicyJsonWriter.WriteBackendTls(json, "backendTls", route.BackendTls);
        json.WriteEndObject();
    }

    internal static void WriteStrings(Utf8JsonWriter json, string name, System.Collections.Immutable.ImmutableArray<string> values)
    {
        json.WriteStartArray(name);
        foreach (var value in values)
        {
            json.WriteStringValue(value);
        }

        json.WriteEndArray();
    }

    internal static void WriteNullableString(Utf8JsonWriter json, string name, string? value)
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
