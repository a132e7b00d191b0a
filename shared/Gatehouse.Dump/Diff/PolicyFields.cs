using System.Text.Json;
using Gatehouse.Model;

namespace Gatehouse.Dump.Diff;

/// <summary>
/// Which schema 1.2 fields of a host or route differ. Each field is compared by its rendering in
/// `--json` output, so "changed" means exactly "an operator would see a different value there".
/// </summary>
internal static class PolicyFields
{
    public static IReadOnlyList<string> ChangedRouteFields(RouteConfig from, RouteConfig to)
    {
        var changed = new List<string>();
        Compare(changed, "canaries", from, to, static (json, route) =>
        {
            json.WriteStartArray();
            foreach (var canary in route.Canaries)
            {
                PolicyJsonWriter.WriteCanary(json, canary);
            }

            json.WriteEndArray();
        });
        Compare(changed, "upstream", from, to, static (json, route) => Wrap(json, w => PolicyJsonWriter.WriteUpstream(w, "v", route.Upstream)));
        if (from.SslRedirect != to.SslRedirect)
        {
            changed.Add("sslRedirect");
        }

        if (from.ForceSslRedirect != to.ForceSslRedirect)
        {
            changed.Add("forceSslRedirect");
        }

        if (from.AccessLog != to.AccessLog)
        {
            changed.Add("accessLog");
        }

        Compare(changed, "backendTls", from, to, static (json, route) => Wrap(json, w => PolicyJsonWriter.WriteBackendTls(w, "v", route.BackendTls)));
        return changed;
    }

    public static IReadOnlyList<string> ChangedHostFields(VirtualHostConfig from, VirtualHostConfig to)
    {
        var changed = new List<string>();
        if (!from.Certificates.SequenceEqual(to.Certificates))
        {
            changed.Add("certificates");
        }

        Compare(changed, "tls", from, to, static (json, host) => Wrap(json, w => PolicyJsonWriter.WriteTlsPolicy(w, "v", host.Tls)));
        return changed;
    }

    private static void Compare<T>(List<string> changed, string name, T from, T to, Action<Utf8JsonWriter, T> render)
    {
        if (!Render(from, render).AsSpan().SequenceEqual(Render(to, render)))
        {
            changed.Add(name);
        }
    }

    private static byte[] Render<T>(T value, Action<Utf8JsonWriter, T> render)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream))
        {
            render(json, value);
        }

        return stream.ToArray();
    }

    private static void Wrap(Utf8JsonWriter json, Action<Utf8JsonWriter> writeProperty)
    {
        json.WriteStartObject();
        writeProperty(json);
        json.WriteEndObject();
    }
}
