using System.Collections.Immutable;
using Gatehouse.Model;

namespace Gatehouse.Tests.Serialization;

/// <summary>
/// Structural equality for configs: the records' own Equals compares ImmutableArray by reference,
/// which would make every round trip "different".
/// </summary>
internal static class ConfigAssert
{
    public static void Equal(GatehouseConfig expected, GatehouseConfig actual)
    {
        Assert.Equal(expected.Schema, actual.Schema);
        Assert.Equal(expected.Generation, actual.Generation);
        Assert.Equal(expected.DefaultBackend, actual.DefaultBackend);
        Assert.Equal(expected.PublishedBy, actual.PublishedBy);
        Assert.Equal(expected.ConfigHash, actual.ConfigHash);
        Items(expected.Hosts, actual.Hosts, Host);
        Items(expected.Backends, actual.Backends, Backend);
        Items(expected.Certificates, actual.Certificates, Certificate);
    }

    private static void Host(VirtualHostConfig expected, VirtualHostConfig actual)
    {
        Assert.Equal(expected.Host, actual.Host);
        Assert.Equal(expected.Certificate, actual.Certificate);
        Items(expected.Routes, actual.Routes, (e, a) => Assert.Equal(e, a)); // RouteConfig has no collections
    }

    private static void Backend(BackendConfig expected, BackendConfig actual)
    {
        Assert.Equal(expected.Name, actual.Name);
        Assert.Equal(expected.Namespace, actual.Namespace);
        Assert.Equal(expected.Service, actual.Service);
        Assert.Equal(expected.Port, actual.Port);
        Assert.Equal(expected.Protocol, actual.Protocol);
        Assert.Equal(expected.Endpoints.AsEnumerable(), actual.Endpoints.AsEnumerable());
    }

    private static void Certificate(CertificateConfig expected, CertificateConfig actual)
    {
        Assert.Equal(expected.Name, actual.Name);
        Assert.Equal(expected.CertificatePem, actual.CertificatePem);
        Assert.Equal(expected.PrivateKeyPem, actual.PrivateKeyPem);
        Assert.Equal(expected.Hosts.AsEnumerable(), actual.Hosts.AsEnumerable());
    }

    private static void Items<T>(ImmutableArray<T> expected, ImmutableArray<T> actual, Action<T, T> equal)
    {
        Assert.False(actual.IsDefault, "deserialized arrays must never be default");
        Assert.Equal(expected.IsDefault ? 0 : expected.Length, actual.Length);
        for (var i = 0; i < actual.Length; i++)
        {
            equal(expected[i], actual[i]);
        }
    }
}
