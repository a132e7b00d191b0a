using System.Collections.Immutable;
using Gatehouse.Model;

namespace Gatehouse.Controller.Publishing;

/// <summary>
/// Deep, content-only equality of configs (ignoring <see cref="GatehouseConfig.Generation"/>).
/// The model's records compare their ImmutableArray members by reference, so record equality is not
/// enough. Comparing values rather than serialized bytes keeps the publisher independent of the codec.
/// Keep in step with the model: a property missed here would make a real change look like "no change".
/// </summary>
public static class ConfigEquality
{
    public static bool ContentEquals(GatehouseConfig? x, GatehouseConfig? y)
    {
        if (ReferenceEquals(x, y))
        {
            return true;
        }

        if (x is null || y is null)
        {
            return false;
        }

        return x.Schema == y.Schema
            && x.DefaultBackend == y.DefaultBackend
            && SequenceEqual(x.Hosts, y.Hosts, HostEquals)
            && SequenceEqual(x.Backends, y.Backends, BackendEquals)
            && SequenceEqual(x.Certificates, y.Certificates, CertificateEquals)
            && SequenceEqual(x.AppliedObjects, y.AppliedObjects, (a, b) => a == b); // AppliedObjectConfig has only scalar members.
    }

    private static bool HostEquals(VirtualHostConfig x, VirtualHostConfig y)
        => x.Host == y.Host
            && x.Certificate == y.Certificate
            && SequenceEqual(x.Routes, y.Routes, (a, b) => a == b); // RouteConfig has only scalar members.

    private static bool BackendEquals(BackendConfig x, BackendConfig y)
        => x.Name == y.Name
            && x.Namespace == y.Namespace
            && x.Service == y.Service
            && x.Port == y.Port
            && x.Protocol == y.Protocol
            && SequenceEqual(x.Endpoints, y.Endpoints, (a, b) => a == b);

    private static bool CertificateEquals(CertificateConfig x, CertificateConfig y)
        => x.Name == y.Name
            && x.CertificatePem == y.CertificatePem
            && x.PrivateKeyPem == y.PrivateKeyPem
            && SequenceEqual(x.Hosts, y.Hosts, string.Equals);

    private static bool SequenceEqual<T>(ImmutableArray<T> x, ImmutableArray<T> y, Func<T, T, bool> equals)
    {
        if (x.IsDefaultOrEmpty || y.IsDefaultOrEmpty)
        {
            return x.IsDefaultOrEmpty == y.IsDefaultOrEmpty;
        }

        if (x.Length != y.Length)
        {
            return false;
        }

        for (var i = 0; i < x.Length; i++)
        {
            if (!equals(x[i], y[i]))
            {
                return false;
            }
        }

        return true;
    }
}
