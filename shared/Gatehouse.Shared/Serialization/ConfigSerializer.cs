using System.Buffers;
using System.Collections.Immutable;
using Gatehouse.MessagePack;
using Gatehouse.Model;

namespace Gatehouse.Serialization;

/// <summary>
/// Encodes <see cref="GatehouseConfig"/> as MessagePack and back. Every object is a map with short
/// snake_case keys (see docs/channel-payload.md) so newer minors can add keys that older readers skip.
/// </summary>
public static partial class ConfigSerializer
{
    /// <summary>
    /// Writes the config with every key this build knows, labelled with <see cref="GatehouseConfig.Schema"/>
    /// as given (round trips and tests; the controller uses the overload taking a version). Equal configs
    /// produce equal bytes.
    /// </summary>
    public static void Serialize(GatehouseConfig config, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(output);
        Write(config, output, config.Schema, ushort.MaxValue);
    }

    /// <summary>
    /// Writes the config as schema <paramref name="writeAs"/>, a minor of the current major no newer than
    /// <see cref="SchemaVersion.Current"/>: keys introduced after that minor are omitted and "schema" says
    /// <paramref name="writeAs"/>, so a proxy of that version reads exactly what its own controller would
    /// have written. <see cref="GatehouseConfig.Schema"/> is ignored. Equal configs produce equal bytes.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="writeAs"/> is another major or a newer minor.</exception>
    public static void Serialize(GatehouseConfig config, IBufferWriter<byte> output, SchemaVersion writeAs)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(output);
        if (!CanWrite(writeAs))
        {
            throw new ArgumentException(
                $"Cannot write schema {writeAs}: this build writes {SchemaVersion.Current.Major}.0 to {SchemaVersion.Current}.",
                nameof(writeAs));
        }

        Write(config, output, writeAs, writeAs.Minor);
    }

    public static byte[] Serialize(GatehouseConfig config, SchemaVersion writeAs)
    {
        var buffer = new ArrayBufferWriter<byte>();
        Serialize(config, buffer, writeAs);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>True if <see cref="Serialize(GatehouseConfig, IBufferWriter{byte}, SchemaVersion)"/> can write <paramref name="version"/>.</summary>
    public static bool CanWrite(SchemaVersion version)
        => version.Major == SchemaVersion.Current.Major && version.Minor <= SchemaVersion.Current.Minor;

    // keyMinor: keys introduced in a later minor (ConfigKeyHistory) are left out.
    private static void Write(GatehouseConfig config, IBufferWriter<byte> output, SchemaVersion label, ushort keyMinor)
    {
        var writer = new MessagePackWriter(output);
        var publishedBy = keyMinor >= ConfigKeyHistory.PublishedBy ? config.PublishedBy : null;
        var configHash = keyMinor >= ConfigKeyHistory.ConfigHash ? config.ConfigHash : null;
        var policies = keyMinor >= ConfigKeyHistory.Policies;
        var defaultCertificate = policies ? config.DefaultCertificate : null;
        var appliedObjects = policies ? config.AppliedObjects : [];

        writer.WriteMapHeader(5 + Count(config.DefaultBackend) + Count(publishedBy) + Count(configHash)
            + Count(defaultCertificate) + (appliedObjects.IsDefaultOrEmpty ? 0 : 1));
        // "schema" goes first so ReadSchema and version checks stop after a few bytes.
        writer.WriteStringUtf8(ConfigKeys.Schema);
        writer.WriteArrayHeader(2);
        writer.WriteUInt64(label.Major);
        writer.WriteUInt64(label.Minor);

        writer.WriteStringUtf8(ConfigKeys.Generation);
        writer.WriteInt64(config.Generation);

        writer.WriteStringUtf8(ConfigKeys.Hosts);
        WriteHosts(ref writer, config.Hosts, policies);

        writer.WriteStringUtf8(ConfigKeys.Backends);
        WriteArray(ref writer, config.Backends, WriteBackend);

        if (config.DefaultBackend is not null)
        {
            writer.WriteStringUtf8(ConfigKeys.DefaultBackend);
            writer.WriteString(config.DefaultBackend);
        }

        writer.WriteStringUtf8(ConfigKeys.Certificates);
        WriteArray(ref writer, config.Certificates, WriteCertificate);

        if (publishedBy is not null)
        {
            writer.WriteStringUtf8(ConfigKeys.PublishedBy);
            writer.WriteString(publishedBy);
        }

        if (configHash is not null)
        {
            writer.WriteStringUtf8(ConfigKeys.ConfigHash);
            writer.WriteString(configHash);
        }

        if (defaultCertificate is not null)
        {
            writer.WriteStringUtf8(ConfigKeys.DefaultCertificate);
            writer.WriteString(defaultCertificate);
        }

        if (!appliedObjects.IsDefaultOrEmpty)
        {
            writer.WriteStringUtf8(ConfigKeys.AppliedObjects);
            WriteArray(ref writer, appliedObjects, WriteAppliedObject);
        }
    }

    private static int Count(string? optional) => optional is null ? 0 : 1;

    /// <summary>
    /// The blob <see cref="Serialize(GatehouseConfig, IBufferWriter{byte}, SchemaVersion)"/> writes at the current
    /// schema for a config whose canonical encoding (<see cref="ConfigHash.Canonical"/>) is
    /// <paramref name="canonical"/>, stamped with published_by and config_hash: the same bytes, spliced
    /// rather than encoded again (the controller encodes each config once per publish). False if
    /// <paramref name="canonical"/> is not laid out as this build writes it.
    /// </summary>
    public static bool TryStamp(ReadOnlySpan<byte> canonical, string publishedBy, string configHash, out byte[] blob)
    {
        var buffer = new ArrayBufferWriter<byte>(canonical.Length + publishedBy.Length + configHash.Length + 64);
        var stamped = TryStamp(canonical, publishedBy, configHash, buffer);
        blob = stamped ? buffer.WrittenSpan.ToArray() : [];
        return stamped;
    }

    /// <summary><see cref="TryStamp(ReadOnlySpan{byte}, string, string, out byte[])"/> into <paramref name="destination"/>, which is reset first.</summary>
    public static bool TryStamp(ReadOnlySpan<byte> canonical, string publishedBy, string configHash, ArrayBufferWriter<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(publishedBy);
        ArgumentNullException.ThrowIfNull(configHash);
        ArgumentNullException.ThrowIfNull(destination);
        destination.ResetWrittenCount();
        var reader = new MessagePackReader(canonical);
        var count = reader.ReadMapHeader();
        var entries = reader.Position;

        // published_by and config_hash follow "certificates" (see Write).
        var split = -1;
        for (var i = 0; i < count; i++)
        {
            if (reader.NextType != MessagePackType.String)
            {
                return false;
            }

            var key = reader.ReadStringSpan();
            if (key.SequenceEqual(ConfigKeys.PublishedBy) || key.SequenceEqual(ConfigKeys.ConfigHash))
            {
                return false;
            }

            var isCertificates = key.SequenceEqual(ConfigKeys.Certificates);
            reader.Skip();
            if (isCertificates)
            {
                split = reader.Position;
            }
        }

        if (split < 0)
        {
            return false;
        }

        var writer = new MessagePackWriter(destination);
        writer.WriteMapHeader(count + 2);
        writer.WriteRaw(canonical[entries..split]);
        writer.WriteStringUtf8(ConfigKeys.PublishedBy);
        writer.WriteString(publishedBy);
        writer.WriteStringUtf8(ConfigKeys.ConfigHash);
        writer.WriteString(configHash);
        writer.WriteRaw(canonical[split..]);
        return true;
    }

    public static byte[] Serialize(GatehouseConfig config)
    {
        var buffer = new ArrayBufferWriter<byte>();
        Serialize(config, buffer);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// Reads a config. Throws <see cref="Gatehouse.MessagePack.MessagePackFormatException"/> for malformed
    /// bytes and <see cref="ConfigSchemaException"/> for a schema major this build cannot read.
    /// </summary>
    public static GatehouseConfig Deserialize(ReadOnlySpan<byte> blob) => DeserializeCore(blob, null);

    /// <summary>
    /// Reads a config, taking every host and backend whose encoding is unchanged since the last blob
    /// decoded through <paramref name="cache"/> from that decode instead of decoding it again.
    /// </summary>
    public static GatehouseConfig Deserialize(byte[] payload, ConfigDecodeCache cache)
    {
        ArgumentNullException.ThrowIfNull(payload);
        ArgumentNullException.ThrowIfNull(cache);
        cache.Begin(payload);
        try
        {
            var config = DeserializeCore(payload, cache);
            cache.Commit();
            return config;
        }
        catch
        {
            cache.Abandon();
            throw;
        }
    }

    private static GatehouseConfig DeserializeCore(ReadOnlySpan<byte> blob, ConfigDecodeCache? cache)
    {
        // Check the version before interpreting anything else: another major may give known keys other meanings.
        var schema = ReadSchema(blob);
        if (!schema.IsReadableBy(SchemaVersion.Current))
        {
            throw new ConfigSchemaException(schema, SchemaVersion.Current);
        }

        var reader = new MessagePackReader(blob);
        var config = ReadConfig(ref reader, schema, cache);
        if (!reader.End)
        {
            throw new MessagePackFormatException("Unexpected bytes after the config map", reader.Position);
        }

        return config;
    }

    /// <summary>
    /// Reads only the "schema" entry of a config blob (cheap: the writer puts it first). Throws
    /// <see cref="MessagePackFormatException"/> if the blob is not a map or has no valid "schema".
    /// Does not check whether this build can read that version.
    /// </summary>
    public static SchemaVersion ReadSchema(ReadOnlySpan<byte> blob)
    {
        var reader = new MessagePackReader(blob);
        var count = reader.ReadMapHeader();
        reader.EnterContainer();
        for (var i = 0; i < count; i++)
        {
            if (IsKey(ref reader, ConfigKeys.Schema))
            {
                return ReadSchemaValue(ref reader);
            }

            reader.Skip();
        }

        throw new MessagePackFormatException("Config blob has no \"schema\" key", 0);
    }

    private static SchemaVersion ReadSchemaValue(ref MessagePackReader reader)
    {
        var start = reader.Position;
        var count = reader.ReadArrayHeader();
        if (count < 2)
        {
            throw new MessagePackFormatException("\"schema\" must be an array [major, minor]", start);
        }

        reader.EnterContainer();
        var major = ReadUInt16(ref reader, "schema major");
        var minor = ReadUInt16(ref reader, "schema minor");
        // Room for a future [major, minor, patch]: extra elements are ignored.
        for (var i = 2; i < count; i++)
        {
            reader.Skip();
        }

        reader.ExitContainer();
        return new SchemaVersion(major, minor);
    }

    private static GatehouseConfig ReadConfig(ref MessagePackReader reader, SchemaVersion schema, ConfigDecodeCache? cache)
    {
        long generation = 0;
        ImmutableArray<VirtualHostConfig> hosts = [];
        ImmutableArray<BackendConfig> backends = [];
        string? defaultBackend = null;
        ImmutableArray<CertificateConfig> certificates = [];
        string? publishedBy = null;
        string? configHash = null;
        string? defaultCertificate = null;
        ImmutableArray<AppliedObjectConfig> appliedObjects = [];

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
            if (key.SequenceEqual(ConfigKeys.Schema))
            {
                // Already validated by ReadSchema; parse again only to move past it.
                ReadSchemaValue(ref reader);
            }
            else if (key.SequenceEqual(ConfigKeys.Generation))
            {
                generation = reader.ReadInt64();
            }
            else if (key.SequenceEqual(ConfigKeys.Hosts))
            {
                hosts = cache is null ? ReadArray(ref reader, ReadHost) : ReadArray(ref reader, ReadHost, cache.Hosts, cache.Payload);
            }
            else if (key.SequenceEqual(ConfigKeys.Backends))
            {
                backends = cache is null ? ReadArray(ref reader, ReadBackend) : ReadArray(ref reader, ReadBackend, cache.Backends, cache.Payload);
            }
            else if (key.SequenceEqual(ConfigKeys.DefaultBackend))
            {
                defaultBackend = ReadOptionalString(ref reader);
            }
            else if (key.SequenceEqual(ConfigKeys.Certificates))
            {
                certificates = ReadArray(ref reader, ReadCertificate);
            }
            else if (key.SequenceEqual(ConfigKeys.PublishedBy))
            {
                publishedBy = ReadOptionalString(ref reader);
            }
            else if (key.SequenceEqual(ConfigKeys.ConfigHash))
            {
                configHash = ReadOptionalString(ref reader);
            }
            else if (key.SequenceEqual(ConfigKeys.DefaultCertificate))
            {
                defaultCertificate = ReadOptionalString(ref reader);
            }
            else if (key.SequenceEqual(ConfigKeys.AppliedObjects))
            {
                appliedObjects = ReadArray(ref reader, ReadAppliedObject);
            }
            else
            {
                reader.Skip();
            }
        }

        reader.ExitContainer();
        return new GatehouseConfig
        {
            Schema = schema,
            Generation = generation,
            Hosts = hosts,
            Backends = backends,
            DefaultBackend = defaultBackend,
            Certificates = certificates,
            PublishedBy = publishedBy,
            ConfigHash = configHash,
            DefaultCertificate = defaultCertificate,
            AppliedObjects = appliedObjects,
        };
    }

    private static void WriteHosts(ref MessagePackWriter writer, ImmutableArray<VirtualHostConfig> hosts, bool policies)
    {
        if (hosts.IsDefaultOrEmpty)
        {
            writer.WriteArrayHeader(0);
            return;
        }

        writer.WriteArrayHeader(hosts.Length);
        foreach (var host in hosts)
        {
            WriteHost(ref writer, host, policies);
        }
    }

    private static void WriteHost(ref MessagePackWriter writer, VirtualHostConfig host, bool policies)
    {
        var certificates = policies ? host.Certificates : [];
        var tls = policies ? host.Tls : null;
        writer.WriteMapHeader(2 + Count(host.Certificate) + (certificates.IsDefaultOrEmpty ? 0 : 1) + (tls is null ? 0 : 1));
        writer.WriteStringUtf8(ConfigKeys.Host);
        WriteRequiredString(ref writer, host.Host);
        writer.WriteStringUtf8(ConfigKeys.Routes);
        if (host.Routes.IsDefaultOrEmpty)
        {
            writer.WriteArrayHeader(0);
        }
        else
        {
            writer.WriteArrayHeader(host.Routes.Length);
            foreach (var route in host.Routes)
            {
                WriteRoute(ref writer, route, policies);
            }
        }

        if (host.Certificate is not null)
        {
            writer.WriteStringUtf8(ConfigKeys.Certificate);
            writer.WriteString(host.Certificate);
        }

        if (!certificates.IsDefaultOrEmpty)
        {
            writer.WriteStringUtf8(ConfigKeys.Certificates);
            WriteArray(ref writer, certificates, WriteRequiredString);
        }

        if (tls is not null)
        {
            writer.WriteStringUtf8(ConfigKeys.Tls);
            WriteTlsPolicy(ref writer, tls);
        }
    }

    private static VirtualHostConfig ReadHost(ref MessagePackReader reader)
    {
        var host = "";
        ImmutableArray<RouteConfig> routes = [];
        string? certificate = null;
        ImmutableArray<string> certificates = [];
        TlsPolicyConfig? tls = null;

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
            if (key.SequenceEqual(ConfigKeys.Host))
            {
                host = reader.ReadString();
            }
            else if (key.SequenceEqual(ConfigKeys.Routes))
            {
                routes = ReadArray(ref reader, ReadRoute);
            }
            else if (key.SequenceEqual(ConfigKeys.Certificate))
            {
                certificate = ReadOptionalString(ref reader);
            }
            else if (key.SequenceEqual(ConfigKeys.Certificates))
            {
                certificates = ReadStrings(ref reader);
            }
            else if (key.SequenceEqual(ConfigKeys.Tls))
            {
                tls = ReadOptional(ref reader, ReadTlsPolicy);
            }
            else
            {
                reader.Skip();
            }
        }

        reader.ExitContainer();
        return new VirtualHostConfig { Host = host, Routes = routes, Certificate = certificate, Certificates = certificates, Tls = tls };
    }

    private static void WriteRoute(ref MessagePackWriter writer, RouteConfig route, bool policies)
    {
        // 1.2 keys are written only when they differ from their defaults, so routes without
        // policies cost what they did in 1.1.
        var canaries = policies ? route.Canaries : [];
        var upstream = policies ? route.Upstream : null;
        var backendTls = policies ? route.BackendTls : null;
        var sslRedirectOff = policies && !route.SslRedirect;
        var forceSslRedirect = policies && route.ForceSslRedirect;
        var accessLogOff = policies && !route.AccessLog;
        writer.WriteMapHeader(4 + (canaries.IsDefaultOrEmpty ? 0 : 1) + (upstream is null ? 0 : 1) + (backendTls is null ? 0 : 1)
            + (sslRedirectOff ? 1 : 0) + (forceSslRedirect ? 1 : 0) + (accessLogOff ? 1 : 0));
        writer.WriteStringUtf8(ConfigKeys.Path);
        WriteRequiredString(ref writer, route.Path);
        writer.WriteStringUtf8(ConfigKeys.Match);
        writer.WriteUInt64((byte)route.Match);
        writer.WriteStringUtf8(ConfigKeys.Backend);
        WriteRequiredString(ref writer, route.Backend);
        writer.WriteStringUtf8(ConfigKeys.Ingress);
        WriteRequiredString(ref writer, route.Ingress);
        if (!canaries.IsDefaultOrEmpty)
        {
            writer.WriteStringUtf8(ConfigKeys.Canaries);
            WriteArray(ref writer, canaries, WriteCanary);
        }

        if (upstream is not null)
        {
            writer.WriteStringUtf8(ConfigKeys.Upstream);
            WriteUpstream(ref writer, upstream);
        }

        if (sslRedirectOff)
        {
            writer.WriteStringUtf8(ConfigKeys.SslRedirect);
            writer.WriteBoolean(false);
        }

        if (forceSslRedirect)
        {
            writer.WriteStringUtf8(ConfigKeys.ForceSslRedirect);
            writer.WriteBoolean(true);
        }

        if (accessLogOff)
        {
            writer.WriteStringUtf8(ConfigKeys.AccessLog);
            writer.WriteBoolean(false);
        }

        if (backendTls is not null)
        {
            writer.WriteStringUtf8(ConfigKeys.BackendTls);
            WriteBackendTls(ref writer, backendTls);
        }
    }

    private static RouteConfig ReadRoute(ref MessagePackReader reader)
    {
        var path = "";
        var match = PathMatch.Prefix;
        var backend = "";
        var ingress = "";
        ImmutableArray<CanaryConfig> canaries = [];
        UpstreamPolicyConfig? upstream = null;
        var sslRedirect = true;
        var forceSslRedirect = false;
        var accessLog = true;
        BackendTlsConfig? backendTls = null;

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
            if (key.SequenceEqual(ConfigKeys.Path))
            {
                path = reader.ReadString();
            }
            else if (key.SequenceEqual(ConfigKeys.Match))
            {
                var start = reader.Position;
                var value = reader.ReadInt64();
                match = value switch
                {
                    (long)PathMatch.Exact => PathMatch.Exact,
                    (long)PathMatch.Prefix => PathMatch.Prefix,
                    (long)PathMatch.ImplementationSpecific => PathMatch.ImplementationSpecific,
                    _ => throw new MessagePackFormatException($"Unknown path match {value}", start),
                };
            }
            else if (key.SequenceEqual(ConfigKeys.Backend))
            {
                backend = reader.ReadString();
            }
            else if (key.SequenceEqual(ConfigKeys.Ingress))
            {
                ingress = reader.ReadString();
            }
            else if (key.SequenceEqual(ConfigKeys.Canaries))
            {
                canaries = ReadArray(ref reader, ReadCanary);
            }
            else if (key.SequenceEqual(ConfigKeys.Upstream))
            {
                upstream = ReadOptional(ref reader, ReadUpstream);
            }
            else if (key.SequenceEqual(ConfigKeys.SslRedirect))
            {
                sslRedirect = reader.ReadBoolean();
            }
            else if (key.SequenceEqual(ConfigKeys.ForceSslRedirect))
            {
                forceSslRedirect = reader.ReadBoolean();
            }
            else if (key.SequenceEqual(ConfigKeys.AccessLog))
            {
                accessLog = reader.ReadBoolean();
            }
            else if (key.SequenceEqual(ConfigKeys.BackendTls))
            {
                backendTls = ReadOptional(ref reader, ReadBackendTls);
            }
            else
            {
                reader.Skip();
            }
        }

        reader.ExitContainer();
        return new RouteConfig
        {
            Path = path,
            Match = match,
            Backend = backend,
            Ingress = ingress,
            Canaries = canaries,
            Upstream = upstream,
            SslRedirect = sslRedirect,
            ForceSslRedirect = forceSslRedirect,
            AccessLog = accessLog,
            BackendTls = backendTls,
        };
    }

    private static void WriteBackend(ref MessagePackWriter writer, BackendConfig backend)
    {
        writer.WriteMapHeader(6);
        writer.WriteStringUtf8(ConfigKeys.Name);
        WriteRequiredString(ref writer, backend.Name);
        writer.WriteStringUtf8(ConfigKeys.Namespace);
        WriteRequiredString(ref writer, backend.Namespace);
        writer.WriteStringUtf8(ConfigKeys.Service);
        WriteRequiredString(ref writer, backend.Service);
        writer.WriteStringUtf8(ConfigKeys.Port);
        WriteRequiredString(ref writer, backend.Port);
        writer.WriteStringUtf8(ConfigKeys.Protocol);
        writer.WriteUInt64((byte)backend.Protocol);
        writer.WriteStringUtf8(ConfigKeys.Endpoints);
        WriteArray(ref writer, backend.Endpoints, WriteEndpoint);
    }

    private static BackendConfig ReadBackend(ref MessagePackReader reader)
    {
        var name = "";
        var ns = "";
        var service = "";
        var port = "";
        var protocol = BackendProtocol.Http;
        ImmutableArray<EndpointConfig> endpoints = [];

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
            if (key.SequenceEqual(ConfigKeys.Name))
            {
                name = reader.ReadString();
            }
            else if (key.SequenceEqual(ConfigKeys.Namespace))
            {
                ns = reader.ReadString();
            }
            else if (key.SequenceEqual(ConfigKeys.Service))
            {
                service = reader.ReadString();
            }
            else if (key.SequenceEqual(ConfigKeys.Port))
            {
                port = reader.ReadString();
            }
            else if (key.SequenceEqual(ConfigKeys.Protocol))
            {
                var start = reader.Position;
                var value = reader.ReadInt64();
                protocol = value switch
                {
                    (long)BackendProtocol.Http => BackendProtocol.Http,
                    (long)BackendProtocol.Https => BackendProtocol.Https,
                    (long)BackendProtocol.Grpc => BackendProtocol.Grpc,
                    (long)BackendProtocol.Grpcs => BackendProtocol.Grpcs,
                    _ => throw new MessagePackFormatException($"Unknown backend protocol {value}", start),
                };
            }
            else if (key.SequenceEqual(ConfigKeys.Endpoints))
            {
                endpoints = ReadArray(ref reader, ReadEndpoint);
            }
            else
            {
                reader.Skip();
            }
        }

        reader.ExitContainer();
        return new BackendConfig
        {
            Name = name,
            Namespace = ns,
            Service = service,
            Port = port,
            Protocol = protocol,
            Endpoints = endpoints,
        };
    }

    private static void WriteEndpoint(ref MessagePackWriter writer, EndpointConfig endpoint)
    {
        writer.WriteMapHeader(2);
        writer.WriteStringUtf8(ConfigKeys.Address);
        WriteRequiredString(ref writer, endpoint.Address);
        writer.WriteStringUtf8(ConfigKeys.Port);
        writer.WriteInt64(endpoint.Port);
    }

    private static EndpointConfig ReadEndpoint(ref MessagePackReader reader)
    {
        var address = "";
        var port = 0;

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
            if (key.SequenceEqual(ConfigKeys.Address))
            {
                address = reader.ReadString();
            }
            else if (key.SequenceEqual(ConfigKeys.Port))
            {
                port = reader.ReadInt32();
            }
            else
            {
                reader.Skip();
            }
        }

        reader.ExitContainer();
        return new EndpointConfig(address, port);
    }

    private static void WriteCertificate(ref MessagePackWriter writer, CertificateConfig certificate)
    {
        writer.WriteMapHeader(4);
        writer.WriteStringUtf8(ConfigKeys.Name);
        WriteRequiredString(ref writer, certificate.Name);
        writer.WriteStringUtf8(ConfigKeys.CertPem);
        WriteRequiredString(ref writer, certificate.CertificatePem);
        writer.WriteStringUtf8(ConfigKeys.KeyPem);
        WriteRequiredString(ref writer, certificate.PrivateKeyPem);
        writer.WriteStringUtf8(ConfigKeys.Hosts);
        WriteArray(ref writer, certificate.Hosts, WriteRequiredString);
    }

    private static CertificateConfig ReadCertificate(ref MessagePackReader reader)
    {
        var name = "";
        var certificatePem = "";
        var privateKeyPem = "";
        ImmutableArray<string> hosts = [];

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
            if (key.SequenceEqual(ConfigKeys.Name))
            {
                name = reader.ReadString();
            }
            else if (key.SequenceEqual(ConfigKeys.CertPem))
            {
                certificatePem = reader.ReadString();
            }
            else if (key.SequenceEqual(ConfigKeys.KeyPem))
            {
                privateKeyPem = reader.ReadString();
            }
            else if (key.SequenceEqual(ConfigKeys.Hosts))
            {
                hosts = ReadArray(ref reader, static (ref MessagePackReader r) => r.ReadString());
            }
            else
            {
                reader.Skip();
            }
        }

        reader.ExitContainer();
        return new CertificateConfig
        {
            Name = name,
            CertificatePem = certificatePem,
            PrivateKeyPem = privateKeyPem,
            Hosts = hosts,
        };
    }

    private delegate void ElementWriter<in T>(ref MessagePackWriter writer, T value);

    private delegate T ElementReader<out T>(ref MessagePackReader reader);

    private static void WriteArray<T>(ref MessagePackWriter writer, ImmutableArray<T> items, ElementWriter<T> write)
    {
        // A default(ImmutableArray) is written like an empty one rather than failing.
        if (items.IsDefaultOrEmpty)
        {
            writer.WriteArrayHeader(0);
            return;
        }

        writer.WriteArrayHeader(items.Length);
        foreach (var item in items)
        {
            write(ref writer, item);
        }
    }

    private static ImmutableArray<T> ReadArray<T>(ref MessagePackReader reader, ElementReader<T> read)
    {
        // The reader has already bounded count by the remaining bytes, so this capacity is safe.
        var count = reader.ReadArrayHeader();
        if (count == 0)
        {
            return [];
        }

        reader.EnterContainer();
        var builder = ImmutableArray.CreateBuilder<T>(count);
        for (var i = 0; i < count; i++)
        {
            builder.Add(read(ref reader));
        }

        reader.ExitContainer();
        return builder.MoveToImmutable();
    }

    /// <summary>Like ReadArray, but an element whose bytes the last decode saw is taken from <paramref name="cache"/>.</summary>
    private static ImmutableArray<T> ReadArray<T>(ref MessagePackReader reader, ElementReader<T> read, ElementCache<T> cache, byte[] payload)
        where T : class
    {
        var count = reader.ReadArrayHeader();
        if (count == 0)
        {
            return [];
        }

        reader.EnterContainer();
        var builder = ImmutableArray.CreateBuilder<T>(count);
        for (var i = 0; i < count; i++)
        {
            // Skip to find the element's extent, compare, and decode (from a copy of the reader left at its
            // start) only when it is new. Skip validates the structure as reading would.
            var start = reader.Position;
            var element = reader;
            reader.Skip();
            var slice = new EncodedSlice(payload, start, reader.Position - start);
            if (!cache.TryGet(slice, out var item))
            {
                item = read(ref element);
                if (element.Position != reader.Position)
                {
                    throw new MessagePackFormatException("Element length differs between skipping and reading", start);
                }
            }

            cache.Add(slice, item);
            builder.Add(item);
        }

        reader.ExitContainer();
        return builder.MoveToImmutable();
    }

    private static void WriteRequiredString(ref MessagePackWriter writer, string value)
        => writer.WriteString(value ?? ""); // a null smuggled past 'required' is written as its default

    private static string? ReadOptionalString(ref MessagePackReader reader)
        => reader.TryReadNil() ? null : reader.ReadString();

    private static ushort ReadUInt16(ref MessagePackReader reader, string what)
    {
        var start = reader.Position;
        var value = reader.ReadUInt64();
        if (value > ushort.MaxValue)
        {
            throw new MessagePackFormatException($"{what} {value} is out of range", start);
        }

        return (ushort)value;
    }

    private static bool IsKey(ref MessagePackReader reader, ReadOnlySpan<byte> key)
    {
        if (reader.NextType != MessagePackType.String)
        {
            reader.Skip();
            return false;
        }

        return reader.ReadStringSpan().SequenceEqual(key);
    }

    /// <summary>Keys are strings in every version, but a non-string key costs nothing to tolerate.</summary>
    private static void SkipEntry(ref MessagePackReader reader)
    {
        reader.Skip();
        reader.Skip();
    }
}
