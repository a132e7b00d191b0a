using Gatehouse.Channel;
using Gatehouse.Model;

namespace Gatehouse.Dump.Diff;

/// <summary>Renders a <see cref="ConfigDiff"/> for people: "+" added, "-" removed, "~" changed.</summary>
internal static class DiffTextWriter
{
    public static void Write(TextWriter text, ChannelSlotInfo from, ChannelSlotInfo to, ConfigDiff diff)
    {
        text.WriteLine($"from {Describe(from)}");
        text.WriteLine($"to   {Describe(to)}");
        if (diff.IsEmpty)
        {
            text.WriteLine("no differences");
            return;
        }

        WriteChange(text, "", "schema", diff.Schema);
        WriteChange(text, "", "published by", diff.PublishedBy);
        WriteChange(text, "", "config hash", diff.ConfigHash);
        WriteChange(text, "", "default backend", diff.DefaultBackend);

        foreach (var host in diff.HostsAdded)
        {
            text.WriteLine($"+ host {Name(host)}");
        }

        foreach (var host in diff.HostsRemoved)
        {
            text.WriteLine($"- host {Name(host)}");
        }

        foreach (var host in diff.HostsChanged)
        {
            text.WriteLine($"~ host {Name(host.Host)}");
            WriteChange(text, "    ", "certificate", host.Certificate);
            foreach (var field in host.PoliciesChanged)
            {
                text.WriteLine($"    {field} changed");
            }
            foreach (var route in host.RoutesAdded)
            {
                text.WriteLine($"    + route {Route(route)}");
            }

            foreach (var route in host.RoutesRemoved)
            {
                text.WriteLine($"    - route {Route(route)}");
            }

            foreach (var route in host.RoutesChanged)
            {
                text.WriteLine($"    ~ route {route.Path} ({route.Match})");
                WriteChange(text, "        ", "backend", route.Backend);
                WriteChange(text, "        ", "ingress", route.Ingress);
                foreach (var field in route.PoliciesChanged)
                {
                    text.WriteLine($"        {field} changed");
                }
            }
        }

        foreach (var backend in diff.BackendsAdded)
        {
            text.WriteLine($"+ backend {backend}");
        }

        foreach (var backend in diff.BackendsRemoved)
        {
            text.WriteLine($"- backend {backend}");
        }

        foreach (var backend in diff.BackendsChanged)
        {
            text.WriteLine($"~ backend {backend.Name}");
            foreach (var (name, change) in backend.Fields)
            {
                WriteChange(text, "    ", name, change);
            }

            foreach (var endpoint in backend.EndpointsAdded)
            {
                text.WriteLine($"    + endpoint {endpoint}");
            }

            foreach (var endpoint in backend.EndpointsRemoved)
            {
                text.WriteLine($"    - endpoint {endpoint}");
            }
        }

        foreach (var certificate in diff.CertificatesAdded)
        {
            text.WriteLine($"+ certificate {certificate}");
        }

        foreach (var certificate in diff.CertificatesRemoved)
        {
            text.WriteLine($"- certificate {certificate}");
        }

        foreach (var certificate in diff.CertificatesChanged)
        {
            text.WriteLine($"~ certificate {certificate.Name}");
            if (certificate.CertificatePemChanged)
            {
                text.WriteLine("    certificate PEM changed");
            }

            foreach (var host in certificate.HostsAdded)
            {
                text.WriteLine($"    + host {Name(host)}");
            }

            foreach (var host in certificate.HostsRemoved)
            {
                text.WriteLine($"    - host {Name(host)}");
            }
        }
    }

    private static string Describe(ChannelSlotInfo slot)
        => $"slot {slot.Index}{(slot.IsActive ? " (active)" : "")}: generation {slot.Generation}, schema {slot.Schema}, written at {HeaderJsonWriter.FormatTime(slot.WrittenAt)}";

    // The catch-all server has no name; show it as the docs call it.
    private static string Name(string host) => host.Length == 0 ? "(catch-all)" : host;

    private static string Route(RouteConfig route)
        => $"{route.Path} ({route.Match}) -> {route.Backend}{(route.Ingress.Length == 0 ? "" : $" [ingress {route.Ingress}]")}";

    private static void WriteChange(TextWriter text, string indent, string what, Change<string?>? change)
    {
        if (change is not null)
        {
            text.WriteLine($"{indent}{what}: {change.From ?? "(none)"} -> {change.To ?? "(none)"}");
        }
    }
}
