using System.Collections.Immutable;
using Gatehouse.MessagePack;
using Gatehouse.Model;

namespace Gatehouse.Serialization;

// Schema 1.2 objects. Inside these objects every key is always written (nil for an absent optional
// value), so their maps have a fixed size and equal objects give equal bytes; only whether the object
// appears at all depends on the minor being written (see ConfigKeyHistory.Policies).
public static partial class ConfigSerializer
{
    private static void WriteCanary(ref MessagePackWriter writer, CanaryConfig canary)
    {
        writer.WriteMapHeader(20);
        writer.WriteStringUtf8(ConfigKeys.Backend);
        WriteRequiredString(ref writer, canary.Backend);
        writer.WriteStringUtf8(ConfigKeys.Ingress);
        WriteRequiredString(ref writer, canary.Ingress);
        writer.WriteStringUtf8(ConfigKeys.Header);
        WriteOptionalString(ref writer, canary.Header);
        writer.WriteStringUtf8(ConfigKeys.HeaderValues);
        WriteArray(ref writer, canary.HeaderValues, WriteRequiredString);
        writer.WriteStringUtf8(ConfigKeys.HeaderPattern);
        WriteOptionalString(ref writer, canary.HeaderPattern);
        writer.WriteStringUtf8(ConfigKeys.Cookie);
        WriteOptionalString(ref writer, canary.Cookie);
        writer.WriteStringUtf8(ConfigKeys.CookieValues);
        WriteArray(ref writer, canary.CookieValues, WriteRequiredString);
        writer.WriteStringUtf8(ConfigKeys.Query);
        WriteOptionalString(ref writer, canary.Query);
        writer.WriteStringUtf8(ConfigKeys.QueryValues);
        WriteArray(ref writer, canary.QueryValues, WriteRequiredString);
        writer.WriteStringUtf8(ConfigKeys.ModDivisor);
        writer.WriteInt64(canary.ModDivisor);
        writer.WriteStringUtf8(ConfigKeys.ModOperator);
        writer.WriteUInt64((byte)canary.ModOperator);
        writer.WriteStringUtf8(ConfigKeys.ModRemainder);
        writer.WriteInt64(canary.ModRemainder);
        writer.WriteStringUtf8(ConfigKeys.Weight);
        writer.WriteInt64(canary.Weight);
        writer.WriteStringUtf8(ConfigKeys.WeightTotal);
        writer.WriteInt64(canary.WeightTotal);
        writer.WriteStringUtf8(ConfigKeys.RequestAddHeaders);
        WriteArray(ref writer, canary.RequestAddHeaders, WriteHeaderValue);
        writer.WriteStringUtf8(ConfigKeys.RequestAppendHeaders);
        WriteArray(ref writer, canary.RequestAppendHeaders, WriteHeaderValue);
        writer.WriteStringUtf8(ConfigKeys.RequestAddQuery);
        WriteOptionalString(ref writer, canary.RequestAddQuery);
        writer.WriteStringUtf8(ConfigKeys.ResponseAddHeaders);
        WriteArray(ref writer, canary.ResponseAddHeaders, WriteHeaderValue);
        writer.WriteStringUtf8(ConfigKeys.ResponseAppendHeaders);
        WriteArray(ref writer, canary.ResponseAppendHeaders, WriteHeaderValue);
        writer.WriteStringUtf8(ConfigKeys.Upstream);
        WriteOptional(ref writer, canary.Upstream, WriteUpstream);
    }

    private static CanaryConfig ReadCanary(ref MessagePackReader reader)
    {
        var canary = new CanaryConfig { Backend = "" };
        var count = reader.ReadMapHeader();
        reader.EnterContainer();
        for (var i = 0; i < count; i++)
        {
            if (reader.NextType != MessagePackType.String)
            {
                SkipEntry(ref reader);
                continue;
            }

            var key = reader.ReadStringSpan();
            canary = key switch
            {
                _ when key.SequenceEqual(ConfigKeys.Backend) => canary with { Backend = reader.ReadString() },
                _ when key.SequenceEqual(ConfigKeys.Ingress) => canary with { Ingress = reader.ReadString() },
                _ when key.SequenceEqual(ConfigKeys.Header) => canary with { Header = ReadOptionalString(ref reader) },
                _ when key.SequenceEqual(ConfigKeys.HeaderValues) => canary with { HeaderValues = ReadStrings(ref reader) },
                _ when key.SequenceEqual(ConfigKeys.HeaderPattern) => canary with { HeaderPattern = ReadOptionalString(ref reader) },
                _ when key.SequenceEqual(ConfigKeys.Cookie) => canary with { Cookie = ReadOptionalString(ref reader) },
                _ when key.SequenceEqual(ConfigKeys.CookieValues) => canary with { CookieValues = ReadStrings(ref reader) },
                _ when key.SequenceEqual(ConfigKeys.Query) => canary with { Query = ReadOptionalString(ref reader) },
                _ when key.SequenceEqual(ConfigKeys.QueryValues) => canary with { QueryValues = ReadStrings(ref reader) },
                _ when key.SequenceEqual(ConfigKeys.ModDivisor) => canary with { ModDivisor = reader.ReadInt32() },
                _ when key.SequenceEqual(ConfigKeys.ModOperator) => canary with { ModOperator = ReadEnum<CanaryModOperator>(ref reader, "canary mod operator", 4) },
                _ when key.SequenceEqual(ConfigKeys.ModRemainder) => canary with { ModRemainder = reader.ReadInt32() },
                _ when key.SequenceEqual(ConfigKeys.Weight) => canary with { Weight = reader.ReadInt32() },
                _ when key.SequenceEqual(ConfigKeys.WeightTotal) => canary with { WeightTotal = reader.ReadInt32() },
                _ when key.SequenceEqual(ConfigKeys.RequestAddHeaders) => canary with { RequestAddHeaders = ReadArray(ref reader, ReadHeaderValue) },
                _ when key.SequenceEqual(ConfigKeys.RequestAppendHeaders) => canary with { RequestAppendHeaders = ReadArray(ref reader, ReadHeaderValue) },
                _ when key.SequenceEqual(ConfigKeys.RequestAddQuery) => canary with { RequestAddQuery = ReadOptionalString(ref reader) },
                _ when key.SequenceEqual(ConfigKeys.ResponseAddHeaders) => canary with { ResponseAddHeaders = ReadArray(ref reader, ReadHeaderValue) },
                _ when key.SequenceEqual(ConfigKeys.ResponseAppendHeaders) => canary with { ResponseAppendHeaders = ReadArray(ref reader, ReadHeaderValue) },
                _ when key.SequenceEqual(ConfigKeys.Upstream) => canary with { Upstream = ReadOptional(ref reader, ReadUpstream) },
                _ => SkipValue(ref reader, canary),
            };
        }

        reader.ExitContainer();
        return canary;
    }

    private static void WriteHeaderValue(ref MessagePackWriter writer, HeaderValueConfig header)
    {
        writer.WriteMapHeader(2);
        writer.WriteStringUtf8(ConfigKeys.Name);
        WriteRequiredString(ref writer, header.Name);
        writer.WriteStringUtf8(ConfigKeys.Value);
        WriteRequiredString(ref writer, header.Value);
    }

    private static HeaderValueConfig ReadHeaderValue(ref MessagePackReader reader)
    {
        var header = new HeaderValueConfig("", "");
        var count = reader.ReadMapHeader();
        reader.EnterContainer();
        for (var i = 0; i < count; i++)
        {
            if (reader.NextType != MessagePackType.String)
            {
                SkipEntry(ref reader);
                continue;
            }

            var key = reader.ReadStringSpan();
            header = key switch
            {
                _ when key.SequenceEqual(ConfigKeys.Name) => header with { Name = reader.ReadString() },
                _ when key.SequenceEqual(ConfigKeys.Value) => header with { Value = reader.ReadString() },
                _ => SkipValue(ref reader, header),
            };
        }

        reader.ExitContainer();
        return header;
    }

    private static void WriteUpstream(ref MessagePackWriter writer, UpstreamPolicyConfig upstream)
    {
        writer.WriteMapHeader(9);
        writer.WriteStringUtf8(ConfigKeys.LoadBalance);
        writer.WriteUInt64((byte)upstream.LoadBalance);
        writer.WriteStringUtf8(ConfigKeys.HashBy);
        WriteOptionalString(ref writer, upstream.HashBy);
        writer.WriteStringUtf8(ConfigKeys.Affinity);
        WriteOptional(ref writer, upstream.Affinity, WriteAffinity);
        writer.WriteStringUtf8(ConfigKeys.ConnectTimeoutMs);
        writer.WriteInt64(upstream.ConnectTimeoutMs);
        writer.WriteStringUtf8(ConfigKeys.SendTimeoutMs);
        writer.WriteInt64(upstream.SendTimeoutMs);
        writer.WriteStringUtf8(ConfigKeys.ReadTimeoutMs);
        writer.WriteInt64(upstream.ReadTimeoutMs);
        writer.WriteStringUtf8(ConfigKeys.NextUpstream);
        writer.WriteUInt64((ushort)upstream.NextUpstream);
        writer.WriteStringUtf8(ConfigKeys.NextUpstreamTries);
        writer.WriteInt64(upstream.NextUpstreamTries);
        writer.WriteStringUtf8(ConfigKeys.NextUpstreamTimeoutMs);
        writer.WriteInt64(upstream.NextUpstreamTimeoutMs);
    }

    private static UpstreamPolicyConfig ReadUpstream(ref MessagePackReader reader)
    {
        var upstream = new UpstreamPolicyConfig();
        var count = reader.ReadMapHeader();
        reader.EnterContainer();
        for (var i = 0; i < count; i++)
        {
            if (reader.NextType != MessagePackType.String)
            {
                SkipEntry(ref reader);
                continue;
            }

            var key = reader.ReadStringSpan();
            upstream = key switch
            {
                _ when key.SequenceEqual(ConfigKeys.LoadBalance) => upstream with { LoadBalance = ReadEnum<LoadBalancingPolicy>(ref reader, "load balancing policy", 1) },
                _ when key.SequenceEqual(ConfigKeys.HashBy) => upstream with { HashBy = ReadOptionalString(ref reader) },
                _ when key.SequenceEqual(ConfigKeys.Affinity) => upstream with { Affinity = ReadOptional(ref reader, ReadAffinity) },
                _ when key.SequenceEqual(ConfigKeys.ConnectTimeoutMs) => upstream with { ConnectTimeoutMs = reader.ReadInt32() },
                _ when key.SequenceEqual(ConfigKeys.SendTimeoutMs) => upstream with { SendTimeoutMs = reader.ReadInt32() },
                _ when key.SequenceEqual(ConfigKeys.ReadTimeoutMs) => upstream with { ReadTimeoutMs = reader.ReadInt32() },
                // Unknown condition bits from a newer writer are dropped: an older proxy retries less, never more.
                _ when key.SequenceEqual(ConfigKeys.NextUpstream) => upstream with { NextUpstream = (NextUpstreamConditions)(ReadUInt16(ref reader, "next_upstream") & KnownNextUpstream) },
                _ when key.SequenceEqual(ConfigKeys.NextUpstreamTries) => upstream with { NextUpstreamTries = reader.ReadInt32() },
                _ when key.SequenceEqual(ConfigKeys.NextUpstreamTimeoutMs) => upstream with { NextUpstreamTimeoutMs = reader.ReadInt32() },
                _ => SkipValue(ref reader, upstream),
            };
        }

        reader.ExitContainer();
        return upstream;
    }

    private const ushort KnownNextUpstream = (ushort)((int)NextUpstreamConditions.NonIdempotent * 2 - 1);

    private static void WriteAffinity(ref MessagePackWriter writer, AffinityConfig affinity)
    {
        writer.WriteMapHeader(9);
        writer.WriteStringUtf8(ConfigKeys.Mode);
        writer.WriteUInt64((byte)affinity.Mode);
        writer.WriteStringUtf8(ConfigKeys.CookieName);
        WriteRequiredString(ref writer, affinity.CookieName);
        writer.WriteStringUtf8(ConfigKeys.CookiePath);
        WriteOptionalString(ref writer, affinity.CookiePath);
        writer.WriteStringUtf8(ConfigKeys.MaxAge);
        WriteOptionalInt64(ref writer, affinity.MaxAgeSeconds);
        writer.WriteStringUtf8(ConfigKeys.Expires);
        WriteOptionalInt64(ref writer, affinity.ExpiresSeconds);
        writer.WriteStringUtf8(ConfigKeys.SameSite);
        WriteOptionalString(ref writer, affinity.SameSite);
        writer.WriteStringUtf8(ConfigKeys.Secure);
        writer.WriteBoolean(affinity.Secure);
        writer.WriteStringUtf8(ConfigKeys.Domain);
        WriteOptionalString(ref writer, affinity.Domain);
        writer.WriteStringUtf8(ConfigKeys.CanaryBehavior);
        writer.WriteUInt64((byte)affinity.CanaryBehavior);
    }

    private static AffinityConfig ReadAffinity(ref MessagePackReader reader)
    {
        var affinity = new AffinityConfig();
        var count = reader.ReadMapHeader();
        reader.EnterContainer();
        for (var i = 0; i < count; i++)
        {
            if (reader.NextType != MessagePackType.String)
            {
                SkipEntry(ref reader);
                continue;
            }

            var key = reader.ReadStringSpan();
            affinity = key switch
            {
                _ when key.SequenceEqual(ConfigKeys.Mode) => affinity with { Mode = ReadEnum<AffinityMode>(ref reader, "affinity mode", 1) },
                _ when key.SequenceEqual(ConfigKeys.CookieName) => affinity with { CookieName = reader.ReadString() },
                _ when key.SequenceEqual(ConfigKeys.CookiePath) => affinity with { CookiePath = ReadOptionalString(ref reader) },
                _ when key.SequenceEqual(ConfigKeys.MaxAge) => affinity with { MaxAgeSeconds = ReadOptionalInt64(ref reader) },
                _ when key.SequenceEqual(ConfigKeys.Expires) => affinity with { ExpiresSeconds = ReadOptionalInt64(ref reader) },
                _ when key.SequenceEqual(ConfigKeys.SameSite) => affinity with { SameSite = ReadOptionalString(ref reader) },
                _ when key.SequenceEqual(ConfigKeys.Secure) => affinity with { Secure = reader.ReadBoolean() },
                _ when key.SequenceEqual(ConfigKeys.Domain) => affinity with { Domain = ReadOptionalString(ref reader) },
                _ when key.SequenceEqual(ConfigKeys.CanaryBehavior) => affinity with { CanaryBehavior = ReadEnum<AffinityCanaryBehavior>(ref reader, "affinity canary behavior", 1) },
                _ => SkipValue(ref reader, affinity),
            };
        }

        reader.ExitContainer();
        return affinity;
    }

    private static void WriteBackendTls(ref MessagePackWriter writer, BackendTlsConfig tls)
    {
        writer.WriteMapHeader(5);
        writer.WriteStringUtf8(ConfigKeys.ClientCertificate);
        WriteOptionalString(ref writer, tls.ClientCertificate);
        writer.WriteStringUtf8(ConfigKeys.TrustedCaPem);
        WriteOptionalString(ref writer, tls.TrustedCaPem);
        writer.WriteStringUtf8(ConfigKeys.Verify);
        writer.WriteBoolean(tls.Verify);
        writer.WriteStringUtf8(ConfigKeys.Name);
        WriteOptionalString(ref writer, tls.Name);
        writer.WriteStringUtf8(ConfigKeys.SendServerName);
        writer.WriteBoolean(tls.SendServerName);
    }

    private static BackendTlsConfig ReadBackendTls(ref MessagePackReader reader)
    {
        var tls = new BackendTlsConfig();
        var count = reader.ReadMapHeader();
        reader.EnterContainer();
        for (var i = 0; i < count; i++)
        {
            if (reader.NextType != MessagePackType.String)
            {
                SkipEntry(ref reader);
                continue;
            }

            var key = reader.ReadStringSpan();
            tls = key switch
            {
                _ when key.SequenceEqual(ConfigKeys.ClientCertificate) => tls with { ClientCertificate = ReadOptionalString(ref reader) },
                _ when key.SequenceEqual(ConfigKeys.TrustedCaPem) => tls with { TrustedCaPem = ReadOptionalString(ref reader) },
                _ when key.SequenceEqual(ConfigKeys.Verify) => tls with { Verify = reader.ReadBoolean() },
                _ when key.SequenceEqual(ConfigKeys.Name) => tls with { Name = ReadOptionalString(ref reader) },
                _ when key.SequenceEqual(ConfigKeys.SendServerName) => tls with { SendServerName = reader.ReadBoolean() },
                _ => SkipValue(ref reader, tls),
            };
        }

        reader.ExitContainer();
        return tls;
    }

    private static void WriteTlsPolicy(ref MessagePackWriter writer, TlsPolicyConfig tls)
    {
        writer.WriteMapHeader(3);
        writer.WriteStringUtf8(ConfigKeys.Protocols);
        WriteArray(ref writer, tls.Protocols, WriteRequiredString);
        writer.WriteStringUtf8(ConfigKeys.Ciphers);
        WriteOptionalString(ref writer, tls.Ciphers);
        writer.WriteStringUtf8(ConfigKeys.ClientAuth);
        WriteOptional(ref writer, tls.ClientAuth, WriteClientAuth);
    }

    private static TlsPolicyConfig ReadTlsPolicy(ref MessagePackReader reader)
    {
        var tls = new TlsPolicyConfig();
        var count = reader.ReadMapHeader();
        reader.EnterContainer();
        for (var i = 0; i < count; i++)
        {
            if (reader.NextType != MessagePackType.String)
            {
                SkipEntry(ref reader);
                continue;
            }

            var key = reader.ReadStringSpan();
            tls = key switch
            {
                _ when key.SequenceEqual(ConfigKeys.Protocols) => tls with { Protocols = ReadStrings(ref reader) },
                _ when key.SequenceEqual(ConfigKeys.Ciphers) => tls with { Ciphers = ReadOptionalString(ref reader) },
                _ when key.SequenceEqual(ConfigKeys.ClientAuth) => tls with { ClientAuth = ReadOptional(ref reader, ReadClientAuth) },
                _ => SkipValue(ref reader, tls),
            };
        }

        reader.ExitContainer();
        return tls;
    }

    private static void WriteClientAuth(ref MessagePackWriter writer, ClientAuthConfig auth)
    {
        writer.WriteMapHeader(5);
        writer.WriteStringUtf8(ConfigKeys.CaPem);
        WriteRequiredString(ref writer, auth.CaPem);
        writer.WriteStringUtf8(ConfigKeys.Verify);
        writer.WriteUInt64((byte)auth.Verify);
        writer.WriteStringUtf8(ConfigKeys.Depth);
        writer.WriteInt64(auth.Depth);
        writer.WriteStringUtf8(ConfigKeys.PassCertificateToUpstream);
        writer.WriteBoolean(auth.PassCertificateToUpstream);
        writer.WriteStringUtf8(ConfigKeys.ErrorPage);
        WriteOptionalString(ref writer, auth.ErrorPage);
    }

    private static ClientAuthConfig ReadClientAuth(ref MessagePackReader reader)
    {
        var auth = new ClientAuthConfig { CaPem = "" };
        var count = reader.ReadMapHeader();
        reader.EnterContainer();
        for (var i = 0; i < count; i++)
        {
            if (reader.NextType != MessagePackType.String)
            {
                SkipEntry(ref reader);
                continue;
            }

            var key = reader.ReadStringSpan();
            auth = key switch
            {
                _ when key.SequenceEqual(ConfigKeys.CaPem) => auth with { CaPem = reader.ReadString() },
                _ when key.SequenceEqual(ConfigKeys.Verify) => auth with { Verify = ReadEnum<ClientCertificateVerification>(ref reader, "client certificate verification", 3) },
                _ when key.SequenceEqual(ConfigKeys.Depth) => auth with { Depth = reader.ReadInt32() },
                _ when key.SequenceEqual(ConfigKeys.PassCertificateToUpstream) => auth with { PassCertificateToUpstream = reader.ReadBoolean() },
                _ when key.SequenceEqual(ConfigKeys.ErrorPage) => auth with { ErrorPage = ReadOptionalString(ref reader) },
                _ => SkipValue(ref reader, auth),
            };
        }

        reader.ExitContainer();
        return auth;
    }

    private static void WriteAppliedObject(ref MessagePackWriter writer, AppliedObjectConfig applied)
    {
        writer.WriteMapHeader(4);
        writer.WriteStringUtf8(ConfigKeys.Kind);
        WriteRequiredString(ref writer, applied.Kind);
        writer.WriteStringUtf8(ConfigKeys.Name);
        WriteRequiredString(ref writer, applied.Name);
        writer.WriteStringUtf8(ConfigKeys.Revision);
        WriteRequiredString(ref writer, applied.Revision);
        writer.WriteStringUtf8(ConfigKeys.Manifest);
        WriteRequiredString(ref writer, applied.Manifest);
    }

    private static AppliedObjectConfig ReadAppliedObject(ref MessagePackReader reader)
    {
        var applied = new AppliedObjectConfig { Kind = "", Name = "" };
        var count = reader.ReadMapHeader();
        reader.EnterContainer();
        for (var i = 0; i < count; i++)
        {
            if (reader.NextType != MessagePackType.String)
            {
                SkipEntry(ref reader);
                continue;
            }

            var key = reader.ReadStringSpan();
            applied = key switch
            {
                _ when key.SequenceEqual(ConfigKeys.Kind) => applied with { Kind = reader.ReadString() },
                _ when key.SequenceEqual(ConfigKeys.Name) => applied with { Name = reader.ReadString() },
                _ when key.SequenceEqual(ConfigKeys.Revision) => applied with { Revision = reader.ReadString() },
                _ when key.SequenceEqual(ConfigKeys.Manifest) => applied with { Manifest = reader.ReadString() },
                _ => SkipValue(ref reader, applied),
            };
        }

        reader.ExitContainer();
        return applied;
    }

    private static void WriteOptional<T>(ref MessagePackWriter writer, T? value, ElementWriter<T> write)
        where T : class
    {
        if (value is null)
        {
            writer.WriteNil();
        }
        else
        {
            write(ref writer, value);
        }
    }

    private static T? ReadOptional<T>(ref MessagePackReader reader, ElementReader<T> read)
        where T : class
        => reader.TryReadNil() ? null : read(ref reader);

    private static void WriteOptionalString(ref MessagePackWriter writer, string? value)
    {
        if (value is null)
        {
            writer.WriteNil();
        }
        else
        {
            writer.WriteString(value);
        }
    }

    private static void WriteOptionalInt64(ref MessagePackWriter writer, long? value)
    {
        if (value is { } number)
        {
            writer.WriteInt64(number);
        }
        else
        {
            writer.WriteNil();
        }
    }

    private static long? ReadOptionalInt64(ref MessagePackReader reader)
        => reader.TryReadNil() ? null : reader.ReadInt64();

    private static ImmutableArray<string> ReadStrings(ref MessagePackReader reader)
        => ReadArray(ref reader, static (ref MessagePackReader r) => r.ReadString());

    private static TEnum ReadEnum<TEnum>(ref MessagePackReader reader, string what, byte max)
        where TEnum : struct, Enum
    {
        var start = reader.Position;
        var value = reader.ReadInt64();
        if (value < 0 || value > max)
        {
            throw new MessagePackFormatException($"Unknown {what} {value}", start);
        }

        var narrow = (byte)value;
        return System.Runtime.CompilerServices.Unsafe.As<byte, TEnum>(ref narrow);
    }

    /// <summary>Skips the value of a key this build does not know (added by a newer minor) and keeps the object as it was.</summary>
    private static T SkipValue<T>(ref MessagePackReader reader, T unchanged)
    {
        reader.Skip();
        return unchanged;
    }
}
