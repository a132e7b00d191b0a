using System.Text.Json;
using Gatehouse.Channel;

namespace Gatehouse.Dump.Diff;

/// <summary>
/// Renders a <see cref="ConfigDiff"/> as the --diff --json document. Every key is always present
/// (null or empty when nothing changed) and keys are only ever appended, so scripts can rely on
/// the shape; docs/operations.md documents it.
/// </summary>
internal static class DiffJsonWriter
{
    public static void Write(Utf8JsonWriter json, ChannelSlotInfo from, ChannelSlotInfo to, ConfigDiff diff)
    {
        json.WriteStartObject();
        WriteSlot(json, "from", from);
        WriteSlot(json, "to", to);
        json.WriteBoolean("changed", diff.HasRoutingChanges);
        WriteChange(json, "schema", diff.Schema);
        WriteChange(json, "publishedBy", diff.PublishedBy);
        WriteChange(json, "configHash", diff.ConfigHash);
        WriteChange(json, "defaultBackend", diff.DefaultBackend);

        json.WriteStartObject("hosts");
        WriteStrings(json, "added", diff.HostsAdded);
        WriteStrings(json, "removed", diff.HostsRemoved);
        json.WriteStartArray("changed");
        foreach (var host in diff.HostsChanged)
        {
            json.WriteStartObject();
            json.WriteString("host", host.Host);
            WriteChange(json, "certificate", host.Certificate);
            json.WriteStartObject("routes");
            json.WriteStartArray("added");
            foreach (var route in host.RoutesAdded)
            {
                ConfigJsonWriter.WriteRoute(json, route);
            }

            json.WriteEndArray();
            json.WriteStartArray("removed");
            foreach (var route in host.RoutesRemoved)
            {
                ConfigJsonWriter.WriteRoute(json, route);
            }

            json.WriteEndArray();
            json.WriteStartArray("changed");
            foreach (var route in host.RoutesChanged)
            {
                json.WriteStartObject();
                json.WriteString("path", route.Path);
                json.WriteString("match", route.Match.ToString());
                WriteChange(json, "backend", route.Backend);
                WriteChange(json, "ingress", route.Ingress);
                WriteStrings(json, "policiesChanged", route.PoliciesChanged);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
            WriteStrings(json, "policiesChanged", host.PoliciesChanged);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();

        json.WriteStartObject("backends");
        WriteStrings(json, "added", diff.BackendsAdded);
        WriteStrings(json, "removed", diff.BackendsRemoved);
        json.WriteStartArray("changed");
        foreach (var backend in diff.BackendsChanged)
        {
            json.WriteStartObject();
            json.WriteString("name", backend.Name);
            json.WriteStartObject("fields");
            foreach (var (name, change) in backend.Fields)
            {
                WriteChange(json, name, change);
            }

            json.WriteEndObject();
            json.WriteStartObject("endpoints");
            WriteStrings(json, "added", backend.EndpointsAdded.Select(e => e.ToString()));
            WriteStrings(json, "removed", backend.EndpointsRemoved.Select(e => e.ToString()));
            json.WriteEndObject();
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();

        json.WriteStartObject("certificates");
        WriteStrings(json, "added", diff.CertificatesAdded);
        WriteStrings(json, "removed", diff.CertificatesRemoved);
        json.WriteStartArray("changed");
        foreach (var certificate in diff.CertificatesChanged)
        {
            json.WriteStartObject();
            json.WriteString("name", certificate.Name);
            json.WriteBoolean("certificatePemChanged", certificate.CertificatePemChanged);
            json.WriteStartObject("hosts");
            WriteStrings(json, "added", certificate.HostsAdded);
            WriteStrings(json, "removed", certificate.HostsRemoved);
            json.WriteEndObject();
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static void WriteSlot(Utf8JsonWriter json, string name, ChannelSlotInfo slot)
    {
        json.WriteStartObject(name);
        json.WriteNumber("slot", slot.Index);
        json.WriteBoolean("active", slot.IsActive);
        json.WriteNumber("generation", slot.Generation);
        json.WriteString("schema", slot.Schema.ToString());
        json.WriteString("writtenAt", HeaderJsonWriter.FormatTime(slot.WrittenAt));
        json.WriteEndObject();
    }

    private static void WriteChange(Utf8JsonWriter json, string name, Change<string?>? change)
    {
        if (change is null)
        {
            json.WriteNull(name);
            return;
        }

        json.WriteStartObject(name);
        WriteNullable(json, "from", change.From);
        WriteNullable(json, "to", change.To);
        json.WriteEndObject();
    }

    private static void WriteNullable(Utf8JsonWriter json, string name, string? value)
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

    private static void WriteStrings(Utf8JsonWriter json, string name, IEnumerable<string> values)
    {
        json.WriteStartArray(name);
        foreach (var value in values)
        {
            json.WriteStringValue(value);
        }

        json.WriteEndArray();
    }
}
