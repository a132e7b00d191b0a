using System.Collections.Immutable;
using System.Text.Json;
using Gatehouse.Model;

namespace Gatehouse.Dump;

/// <summary>
/// Renders the schema 1.2 policy objects (canaries, upstream, TLS). Every key is always present
/// (null when absent) in the order written here, which docs/operations.md lists.
/// </summary>
internal static class PolicyJsonWriter
{
    public static void WriteCanary(Utf8JsonWriter json, CanaryConfig canary)
    {
        json.WriteStartObject();
        json.WriteString("backend", canary.Backend);
        json.WriteString("ingress", canary.Ingress);
        ConfigJsonWriter.WriteNullableString(json, "header", canary.Header);
        ConfigJsonWriter.WriteStrings(json, "headerValues", canary.HeaderValues);
        ConfigJsonWriter.WriteNullableString(json, "headerPattern", canary.HeaderPattern);
        ConfigJsonWriter.WriteNullableString(json, "cookie", canary.Cookie);
        ConfigJsonWriter.WriteStrings(json, "cookieValues", canary.CookieValues);
        ConfigJsonWriter.WriteNullableString(json, "query", canary.Query);
        ConfigJsonWriter.WriteStrings(json, "queryValues", canary.QueryValues);
        json.WriteNumber("modDivisor", canary.ModDivisor);
        json.WriteString("modOperator", canary.ModOperator.ToString());
        json.WriteNumber("modRemainder", canary.ModRemainder);
        json.WriteNumber("weight", canary.Weight);
        json.WriteNumber("weightTotal", canary.WeightTotal);
        WriteHeaders(json, "requestAddHeaders", canary.RequestAddHeaders);
        WriteHeaders(json, "requestAppendHeaders", canary.RequestAppendHeaders);
        ConfigJsonWriter.WriteNullableString(json, "requestAddQuery", canary.RequestAddQuery);
        WriteHeaders(json, "responseAddHeaders", canary.ResponseAddHeaders);
        WriteHeaders(json, "responseAppendHeaders", canary.ResponseAppendHeaders);
        WriteUpstream(json, "upstream", canary.Upstream);
        json.WriteEndObject();
    }

    public static void WriteUpstream(Utf8JsonWriter json, string name, UpstreamPolicyConfig? upstream)
    {
        if (upstream is null)
        {
            json.WriteNull(name);
            return;
        }

        json.WriteStartObject(name);
        json.WriteString("loadBalance", upstream.LoadBalance.ToString());
        ConfigJsonWriter.WriteNullableString(json, "hashBy", upstream.HashBy);
        WriteAffinity(json, upstream.Affinity);
        json.WriteNumber("connectTimeoutMs", upstream.ConnectTimeoutMs);
        json.WriteNumber("sendTimeoutMs", upstream.SendTimeoutMs);
        json.WriteNumber("readTimeoutMs", upstream.ReadTimeoutMs);
        json.WriteStartArray("nextUpstream");
        foreach (var condition in Enum.GetValues<NextUpstreamConditions>())
        {
            if (condition != NextUpstreamConditions.None && upstream.NextUpstream.HasFlag(condition))
            {
                json.WriteStringValue(condition.ToString());
            }
        }

        json.WriteEndArray();
        json.WriteNumber("nextUpstreamTries", upstream.NextUpstreamTries);
        json.WriteNumber("nextUpstreamTimeoutMs", upstream.NextUpstreamTimeoutMs);
        json.WriteEndObject();
    }

    public static void WriteBackendTls(Utf8JsonWriter json, string name, BackendTlsConfig? tls)
    {
        if (tls is null)
        {
            json.WriteNull(name);
            return;
        }

        json.WriteStartObject(name);
        ConfigJsonWriter.WriteNullableString(json, "clientCertificate", tls.ClientCertificate);
        ConfigJsonWriter.WriteNullableString(json, "trustedCaPem", tls.TrustedCaPem);
        json.WriteBoolean("verify", tls.Verify);
        ConfigJsonWriter.WriteNullableString(json, "name", tls.Name);
        json.WriteBoolean("sendServerName", tls.SendServerName);
        json.WriteEndObject();
    }

    public static void WriteTlsPolicy(Utf8JsonWriter json, string name, TlsPolicyConfig? tls)
    {
        if (tls is null)
        {
            json.WriteNull(name);
            return;
        }

        json.WriteStartObject(name);
        ConfigJsonWriter.WriteStrings(json, "protocols", tls.Protocols);
        ConfigJsonWriter.WriteNullableString(json, "ciphers", tls.Ciphers);
        if (tls.ClientAuth is { } auth)
        {
            json.WriteStartObject("clientAuth");
            json.WriteString("caPem", auth.CaPem);
            json.WriteString("verify", auth.Verify.ToString());
            json.WriteNumber("depth", auth.Depth);
            json.WriteBoolean("passCertificateToUpstream", auth.PassCertificateToUpstream);
            ConfigJsonWriter.WriteNullableString(json, "errorPage", auth.ErrorPage);
            json.WriteEndObject();
        }
        else
        {
            json.WriteNull("clientAuth");
        }

        json.WriteEndObject();
    }

    private static void WriteAffinity(Utf8JsonWriter json, AffinityConfig? affinity)
    {
        if (affinity is null)
        {
            json.WriteNull("affinity");
            return;
        }

        json.WriteStartObject("affinity");
        json.WriteString("mode", affinity.Mode.ToString());
        json.WriteString("cookieName", affinity.CookieName);
        ConfigJsonWriter.WriteNullableString(json, "cookiePath", affinity.CookiePath);
        WriteNullableNumber(json, "maxAgeSeconds", affinity.MaxAgeSeconds);
        WriteNullableNumber(json, "expiresSeconds", affinity.ExpiresSeconds);
        ConfigJsonWriter.WriteNullableString(json, "sameSite", affinity.SameSite);
        json.WriteBoolean("secure", affinity.Secure);
        ConfigJsonWriter.WriteNullableString(json, "domain", affinity.Domain);
        json.WriteString("canaryBehavior", affinity.CanaryBehavior.ToString());
        json.WriteEndObject();
    }

    private static void WriteHeaders(Utf8JsonWriter json, string name, ImmutableArray<HeaderValueConfig> headers)
    {
        json.WriteStartArray(name);
        foreach (var header in headers)
        {
            json.WriteStartObject();
            json.WriteString("name", header.Name);
            json.WriteString("value", header.Value);
            json.WriteEndObject();
        }

        json.WriteEndArray();
    }

    private static void WriteNullableNumber(Utf8JsonWriter json, string name, long? value)
    {
        if (value is { } number)
        {
            json.WriteNumber(name, number);
        }
        else
        {
            json.WriteNull(name);
        }
    }
}
