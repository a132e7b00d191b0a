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
        Assert.Equal(expected.DefaultCertificate, actual.DefaultCertificate);
        Items(expected.AppliedObjects, actual.AppliedObjects, (e, a) => Assert.Equal(e, a)); // scalar members only
    }

    private static void Host(VirtualHostConfig expected, VirtualHostConfig actual)
    {
        Assert.Equal(expected.Host, actual.Host);
        Assert.Equal(expected.Certificate, actual.Certificate);
        Items(expected.Routes, actual.Routes, Route);
        Items(expected.Certificates, actual.Certificates, (e, a) => Assert.Equal(e, a));
        TlsPolicy(expected.Tls, actual.Tls);
    }

    private static void Route(RouteConfig expected, RouteConfig actual)
    {
        Assert.Equal(expected.Path, actual.Path);
        Assert.Equal(expected.Match, actual.Match);
        Assert.Equal(expected.Backend, actual.Backend);
        Assert.Equal(expected.Ingress, actual.Ingress);
        Assert.Equal(expected.Upstream, actual.Upstream); // records of scalars (affinity included)
        Assert.Equal(expected.SslRedirect, actual.SslRedirect);
        Assert.Equal(expected.ForceSslRedirect, actual.ForceSslRedirect);
        Assert.Equal(expected.AccessLog, actual.AccessLog);
        Assert.Equal(expected.BackendTls, actual.BackendTls);
        Items(expected.Canaries, actual.Canaries, Canary);
    }

    private static void Canary(CanaryConfig expected, CanaryConfig actual)
    {
        // Compare the scalars with record equality after blanking the collections, then the collections.
        static CanaryConfig Scalars(CanaryConfig c) => c with
        {
            HeaderValues = [], CookieValues = [], QueryValues = [],
            RequestAddHeaders = [], RequestAppendHeaders = [], ResponseAddHeaders = [], ResponseAppendHeaders = [],
        };

        Assert.Equal(Scalars(expected), Scalars(actual)); // [] is ImmutableArray<T>.Empty, one shared instance
        Items(expected.HeaderValues, actual.HeaderValues, (e, a) => Assert.Equal(e, a));
        Items(expected.CookieValues, actual.CookieValues, (e, a) => Assert.Equal(e, a));
        Items(expected.QueryValues, actual.QueryValues, (e, a) => Assert.Equal(e, a));
        Items(expected.RequestAddHeaders, actual.RequestAddHeaders, (e, a) => Assert.Equal(e, a));
        Items(expected.RequestAppendHeaders, actual.RequestAppendHeaders, (e, a) => Assert.Equal(e, a));
        Items(expected.ResponseAddHeaders, actual.ResponseAddHeaders, (e, a) => Assert.Equal(e, a));
        Items(expected.ResponseAppendHeaders, actual.ResponseAppendHeaders, (e, a) => Assert.Equal(e, a));
    }

    private static void TlsPolicy(TlsPolicyConfig? expected, TlsPolicyConfig? actual)
    {
        Assert.Equal(expected is null, actual is null);
        if (expected is null || actual is null)
        {
            return;
        }

        Assert.Equal(expected.Ciphers, actual.Ciphers);
        Assert.Equal(expected.ClientAuth, actual.ClientAuth);
        Items(expected.Protocols, actual.Protocols, (e, a) => Assert.Equal(e, a));
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
