using System.Collections.Immutable;
using System.Text;
using Gatehouse.Model;

namespace Gatehouse.Tests.Fuzzing;

/// <summary>
/// Random but valid <see cref="GatehouseConfig"/> values: every field exercised, strings from empty
/// to long with multi-byte and astral characters (well-formed UTF-16 only, since the writer replaces
/// lone surrogates by design), integers at their edges.
/// </summary>
internal static class RandomConfigs
{
    private static readonly string[] Alphabet = ["a", "z", "0", "-", ".", "/", "*", ":", " ", "é", "ñ", "中", "\u00a0", "😀", "\0", "\"", "\\"];

    public static GatehouseConfig Config(Random random) => new()
    {
        Schema = new SchemaVersion(SchemaVersion.Current.Major, (ushort)Pick(random, 0, 1, ushort.MaxValue, random.Next(ushort.MaxValue))),
        Generation = Int64(random),
        Hosts = Array(random, 6, Host),
        Backends = Array(random, 5, Backend),
        DefaultBackend = random.Next(3) == 0 ? null : Text(random),
        Certificates = Array(random, 3, Certificate),
    };

    public static string Text(Random random)
    {
        var length = random.Next(10) switch
        {
            0 => 0,
            1 => random.Next(30, 300), // crosses the fixstr/str8/str16 boundaries
            _ => random.Next(1, 20),
        };
        var builder = new StringBuilder(length);
        for (var i = 0; i < length; i++)
        {
            builder.Append(Alphabet[random.Next(Alphabet.Length)]);
        }

        return builder.ToString();
    }

    public static long Int64(Random random) => random.Next(6) switch
    {
        0 => 0,
        1 => long.MaxValue,
        2 => long.MinValue,
        3 => -random.Next(1, 40),
        4 => random.NextInt64(),
        _ => random.Next(1, 100_000),
    };

    private static VirtualHostConfig Host(Random random) => new()
    {
        Host = random.Next(4) == 0 ? "*." + Text(random) : Text(random),
        Routes = Array(random, 4, Route),
        Certificate = random.Next(2) == 0 ? null : Text(random),
    };

    private static RouteConfig Route(Random random) => new()
    {
        Path = "/" + Text(random),
        Match = (PathMatch)random.Next(3),
        Backend = Text(random),
        Ingress = Text(random),
    };

    private static BackendConfig Backend(Random random) => new()
    {
        Name = Text(random),
        Namespace = Text(random),
        Service = Text(random),
        Port = Text(random),
        Protocol = (BackendProtocol)random.Next(4),
        Endpoints = Array(random, 4, Endpoint),
    };

    private static EndpointConfig Endpoint(Random random)
        => new(Text(random), Pick(random, 0, 1, 65_535, int.MaxValue, int.MinValue, random.Next(-200, 70_000)));

    private static CertificateConfig Certificate(Random random) => new()
    {
        Name = Text(random),
        CertificatePem = Text(random),
        PrivateKeyPem = Text(random),
        Hosts = Array(random, 4, Text),
    };

    private static ImmutableArray<T> Array<T>(Random random, int max, Func<Random, T> element)
    {
        // Occasionally a long array, so array16 headers are covered too.
        var count = random.Next(20) == 0 ? random.Next(16, 40) : random.Next(max + 1);
        var builder = ImmutableArray.CreateBuilder<T>(count);
        for (var i = 0; i < count; i++)
        {
            builder.Add(element(random));
        }

        return builder.MoveToImmutable();
    }

    private static T Pick<T>(Random random, params T[] choices) => choices[random.Next(choices.Length)];
}
