using System.Buffers;
using Gatehouse.MessagePack;
using Gatehouse.Model;
using Gatehouse.Serialization;
using Gatehouse.Tests.MessagePack;
using Xunit.Abstractions;

namespace Gatehouse.Tests.Serialization;

public sealed class ConfigSerializerTests
{
    [Fact]
    public void SmallConfigRoundTrips()
    {
        var config = TestConfigs.Small();
        var restored = ConfigSerializer.Deserialize(ConfigSerializer.Serialize(config));
        ConfigAssert.Equal(config, restored);
        Assert.Equal("2001:db8::ff00:42:8329", restored.Backends[1].Endpoints[1].Address);
        Assert.Equal("[fd00::1]:443", restored.Backends[1].Endpoints[0].ToString());
        Assert.Equal("shop/wildcard-tls", restored.Hosts[1].Certificate);
        Assert.Null(restored.Hosts[0].Certificate);
    }

    [Fact]
    public void EmptyConfigHasAStableEncoding()
    {
        // {"schema":[1,1],"generation":0,"hosts":[],"backends":[],"certificates":[]}: the documented layout, byte for byte.
        var expected = "85" + "a6" + Hex("schema") + "920102" + "aa" + Hex("generation") + "00" + "a5" + Hex("hosts") + "90"
            + "a8" + Hex("backends") + "90" + "ac" + Hex("certificates") + "90";
        Assert.Equal(expected, Convert.ToHexStringLower(ConfigSerializer.Serialize(GatehouseConfig.Empty)));
        ConfigAssert.Equal(GatehouseConfig.Empty, ConfigSerializer.Deserialize(Convert.FromHexString(expected)));
    }

    [Fact]
    public void SchemaIsTheFirstKey()
    {
        var reader = new MessagePackReader(ConfigSerializer.Serialize(TestConfigs.Small()));
        Assert.Equal(6, reader.ReadMapHeader());
        Assert.Equal("schema", reader.ReadString());
        Assert.Equal(2, reader.ReadArrayHeader());
        Assert.Equal(SchemaVersion.Current.Major, reader.ReadInt32());
        Assert.Equal(SchemaVersion.Current.Minor, reader.ReadInt32());
    }

    [Fact]
    public void KeysAreTheDocumentedOnes()
    {
        var blob = ConfigSerializer.Serialize(TestConfigs.Small());
        var reader = new MessagePackReader(blob);
        var keys = new List<string>();
        CollectKeys(ref reader, keys, "");
        string[] expected =
        [
            "schema", "generation", "hosts", "hosts.host", "hosts.routes", "hosts.routes.path", "hosts.routes.match",
            "hosts.routes.backend", "hosts.routes.ingress", "hosts.certificate", "backends", "backends.name",
            "backends.namespace", "backends.service", "backends.port", "backends.protocol", "backends.endpoints",
            "backends.endpoints.address", "backends.endpoints.port", "default_backend", "certificates",
            "certificates.name", "certificates.cert_pem", "certificates.key_pem", "certificates.hosts",
        ];
        Assert.Equal(expected, keys.Distinct().ToArray());
    }

    [Fact]
    public void EqualConfigsProduceEqualBytes()
    {
        Assert.Equal(ConfigSerializer.Serialize(TestConfigs.Small()), ConfigSerializer.Serialize(TestConfigs.Small()));
        Assert.Equal(ConfigSerializer.Serialize(TestConfigs.Large(500)), ConfigSerializer.Serialize(TestConfigs.Large(500)));

        // And a round trip re-serializes to the same bytes.
        var blob = ConfigSerializer.Serialize(TestConfigs.Small());
        Assert.Equal(blob, ConfigSerializer.Serialize(ConfigSerializer.Deserialize(blob)));

        var changed = TestConfigs.Small() with { Generation = 43 };
        Assert.NotEqual(blob, ConfigSerializer.Serialize(changed));
    }

    [Fact]
    public void BufferWriterOverloadWritesTheSameBytes()
    {
        var buffer = new ArrayBufferWriter<byte>(1); // grows many times mid-value
        ConfigSerializer.Serialize(TestConfigs.Small(), buffer);
        Assert.Equal(ConfigSerializer.Serialize(TestConfigs.Small()), buffer.WrittenSpan.ToArray());
    }

    [Fact]
    public void NullDefaultBackendIsOmitted()
    {
        var config = TestConfigs.Small() with { DefaultBackend = null };
        var blob = ConfigSerializer.Serialize(config);
        var reader = new MessagePackReader(blob);
        var keys = new List<string>();
        CollectKeys(ref reader, keys, "");
        Assert.DoesNotContain("default_backend", keys);
        Assert.Null(ConfigSerializer.Deserialize(blob).DefaultBackend);
        ConfigAssert.Equal(config, ConfigSerializer.Deserialize(blob));
    }

    [Fact]
    public void ExplicitNilOptionalsReadAsNull()
    {
        var blob = Pack.Bytes((ref MessagePackWriter w) =>
        {
            w.WriteMapHeader(3);
            WriteSchema(ref w, 1, 0);
            w.WriteString("default_backend");
            w.WriteNil();
            w.WriteString("hosts");
            w.WriteArrayHeader(1);
            w.WriteMapHeader(2);
            w.WriteString("host");
            w.WriteString("a");
            w.WriteString("certificate");
            w.WriteNil();
        });
        var config = ConfigSerializer.Deserialize(blob);
        Assert.Null(config.DefaultBackend);
        Assert.Null(config.Hosts[0].Certificate);
    }

    [Fact]
    public void DefaultImmutableArraysAreWrittenAsEmpty()
    {
        var config = new GatehouseConfig { Hosts = default, Backends = [new BackendConfig { Name = "b", Endpoints = default }] };
        var restored = ConfigSerializer.Deserialize(ConfigSerializer.Serialize(config));
        Assert.Empty(restored.Hosts);
        Assert.Empty(restored.Backends[0].Endpoints);
    }

    [Fact]
    public void LargeConfigRoundTrips()
    {
        // Speed is measured in bench/ (timed assertions do not belong here); this proves 100k hosts survive intact.
        var config = TestConfigs.Large(100_000);
        var blob = ConfigSerializer.Serialize(config);
        var restored = ConfigSerializer.Deserialize(blob);
        ConfigAssert.Equal(config, restored);
    }

    [Fact]
    public void UnknownKeysAllocateNothing()
    {
        // 20,000 distinct unknown keys with nested values: comparing keys as spans and skipping allocates nothing per key.
        var blob = Pack.Bytes((ref MessagePackWriter w) =>
        {
            w.WriteMapHeader(20_001);
            WriteSchema(ref w, 1, 0);
            for (var i = 0; i < 20_000; i++)
            {
                w.WriteString($"future_key_number_{i:D6}");
                w.WriteArrayHeader(2);
                w.WriteString("some value");
                w.WriteMapHeader(1);
                w.WriteString("k");
                w.WriteInt64(i);
            }
        });
        ConfigSerializer.Deserialize(blob); // warm-up (JIT)

        // The least of a few runs: a one-off runtime allocation on this thread (tier-up, OSR) must not
        // count as the decoder's, while a per-key allocation (20,000 keys) shows in every run.
        var allocated = long.MaxValue;
        for (var run = 0; run < 3; run++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            var config = ConfigSerializer.Deserialize(blob);
            allocated = Math.Min(allocated, GC.GetAllocatedBytesForCurrentThread() - before);
            Assert.Empty(config.Hosts);
        }

        Assert.True(allocated < 4096, $"allocated {allocated} bytes");
    }

    [Fact]
    public void UnknownKeysOfEveryTypeAreSkippedAtEveryLevel()
    {
        var blob = Pack.Bytes((ref MessagePackWriter w) =>
        {
            w.WriteMapHeader(6 + (2 * JunkCount));
            WriteJunk(ref w);
            WriteSchema(ref w, 1, 0);
            w.WriteString("generation");
            w.WriteInt64(9);
            WriteJunk(ref w);
            w.WriteString("hosts");
            w.WriteArrayHeader(1);
            {
                w.WriteMapHeader(3 + JunkCount);
                w.WriteString("host");
                w.WriteString("a.example.com");
                WriteJunk(ref w);
                w.WriteString("routes");
                w.WriteArrayHeader(1);
                {
                    w.WriteMapHeader(4 + JunkCount);
                    WriteJunk(ref w);
                    w.WriteString("path");
                    w.WriteString("/x");
                    w.WriteString("match");
                    w.WriteInt64(0);
                    w.WriteString("backend");
                    w.WriteString("ns/svc:80");
                    w.WriteString("ingress");
                    w.WriteString("ns/ing");
                }

                w.WriteString("certificate");
                w.WriteString("ns/tls");
            }

            w.WriteString("backends");
            w.WriteArrayHeader(1);
            {
                w.WriteMapHeader(6 + JunkCount);
                w.WriteString("name");
                w.WriteString("ns/svc:80");
                w.WriteString("namespace");
                w.WriteString("ns");
                w.WriteString("service");
                w.WriteString("svc");
                w.WriteString("port");
                w.WriteString("80");
                w.WriteString("protocol");
                w.WriteInt64(2);
                w.WriteString("endpoints");
                w.WriteArrayHeader(1);
                {
                    w.WriteMapHeader(2 + JunkCount);
                    w.WriteString("address");
                    w.WriteString("::1");
                    WriteJunk(ref w);
                    w.WriteString("port");
                    w.WriteInt64(8080);
                }

                WriteJunk(ref w);
            }

            w.WriteString("default_backend");
            w.WriteString("ns/svc:80");
            w.WriteString("certificates");
            w.WriteArrayHeader(1);
            {
                w.WriteMapHeader(4 + JunkCount);
                w.WriteString("name");
                w.WriteString("ns/tls");
                w.WriteString("cert_pem");
                w.WriteString("C");
                WriteJunk(ref w);
                w.WriteString("key_pem");
                w.WriteString("K");
                w.WriteString("hosts");
                w.WriteArrayHeader(1);
                w.WriteString("a.example.com");
            }
        });

        var expected = new GatehouseConfig
        {
            Schema = new SchemaVersion(1, 0),
            Generation = 9,
            Hosts =
            [
                new VirtualHostConfig
                {
                    Host = "a.example.com",
                    Routes = [new RouteConfig { Path = "/x", Match = PathMatch.Exact, Backend = "ns/svc:80", Ingress = "ns/ing" }],
                    Certificate = "ns/tls",
                },
            ],
            Backends =
            [
                new BackendConfig
                {
                    Name = "ns/svc:80", Namespace = "ns", Service = "svc", Port = "80", Protocol = BackendProtocol.Grpc,
                    Endpoints = [new EndpointConfig("::1", 8080)],
                },
            ],
            DefaultBackend = "ns/svc:80",
            Certificates = [new CertificateConfig { Name = "ns/tls", CertificatePem = "C", PrivateKeyPem = "K", Hosts = ["a.example.com"] }],
        };
        ConfigAssert.Equal(expected, ConfigSerializer.Deserialize(blob));
    }

    [Fact]
    public void MissingKeysTakeTheirDefaults()
    {
        var blob = Pack.Bytes((ref MessagePackWriter w) =>
        {
            w.WriteMapHeader(4);
            WriteSchema(ref w, 1, 0);
            w.WriteString("hosts");
            w.WriteArrayHeader(1);
            w.WriteMapHeader(1);
            w.WriteString("routes");
            w.WriteArrayHeader(1);
            w.WriteMapHeader(0);
            w.WriteString("backends");
            w.WriteArrayHeader(1);
            w.WriteMapHeader(1);
            w.WriteString("endpoints");
            w.WriteArrayHeader(1);
            w.WriteMapHeader(0);
            w.WriteString("certificates");
            w.WriteArrayHeader(1);
            w.WriteMapHeader(0);
        });

        var config = ConfigSerializer.Deserialize(blob);
        Assert.Equal(0, config.Generation);
        Assert.Null(config.DefaultBackend);
        Assert.Equal("", config.Hosts[0].Host);
        Assert.Null(config.Hosts[0].Certificate);
        Assert.Equal(new RouteConfig { Path = "", Match = PathMatch.Prefix, Backend = "", Ingress = "" }, config.Hosts[0].Routes[0]);
        var backend = config.Backends[0];
        Assert.Equal(("", "", "", "", BackendProtocol.Http), (backend.Name, backend.Namespace, backend.Service, backend.Port, backend.Protocol));
        Assert.Equal(new EndpointConfig("", 0), backend.Endpoints[0]);
        var certificate = config.Certificates[0];
        Assert.Equal(("", "", ""), (certificate.Name, certificate.CertificatePem, certificate.PrivateKeyPem));
        Assert.Empty(certificate.Hosts);

        var onlySchema = Pack.Bytes((ref MessagePackWriter w) =>
        {
            w.WriteMapHeader(1);
            WriteSchema(ref w, 1, 0);
        });
        ConfigAssert.Equal(GatehouseConfig.Empty with { Schema = new SchemaVersion(1, 0) }, ConfigSerializer.Deserialize(onlySchema));
    }

    [Fact]
    public void NewerMinorIsAccepted()
    {
        var blob = Pack.Bytes((ref MessagePackWriter w) =>
        {
            w.WriteMapHeader(3);
            w.WriteString("schema");
            w.WriteArrayHeader(3); // a future [major, minor, patch] still reads
            w.WriteInt64(SchemaVersion.Current.Major);
            w.WriteInt64(SchemaVersion.Current.Minor + 7);
            w.WriteInt64(1);
            w.WriteString("generation");
            w.WriteInt64(5);
            w.WriteString("rate_limits");
            w.WriteMapHeader(1);
            w.WriteString("rps");
            w.WriteInt64(100);
        });

        var config = ConfigSerializer.Deserialize(blob);
        Assert.Equal(new SchemaVersion(SchemaVersion.Current.Major, (ushort)(SchemaVersion.Current.Minor + 7)), config.Schema);
        Assert.Equal(5, config.Generation);
        Assert.Equal(config.Schema, ConfigSerializer.ReadSchema(blob));

        // A model carrying a newer minor writes it back unchanged.
        var newer = TestConfigs.Small() with { Schema = new SchemaVersion(SchemaVersion.Current.Major, 9) };
        Assert.Equal(newer.Schema, ConfigSerializer.Deserialize(ConfigSerializer.Serialize(newer)).Schema);
    }

    [Theory]
    [InlineData(2, 0)]
    [InlineData(0, 9)]
    [InlineData(65535, 65535)]
    public void OtherMajorIsASchemaError(int major, int minor)
    {
        var version = new SchemaVersion((ushort)major, (ushort)minor);
        var blob = ConfigSerializer.Serialize(TestConfigs.Small() with { Schema = version });
        var error = Assert.Throws<ConfigSchemaException>(() => ConfigSerializer.Deserialize(blob));
        Assert.Equal(version, error.Found);
        Assert.Equal(SchemaVersion.Current, error.Supported);
        Assert.Equal(version, ConfigSerializer.ReadSchema(blob));
    }

    [Fact]
    public void OtherMajorWinsEvenWhenTheRestWouldNotParse()
    {
        // A major-2 blob may use our keys differently; the schema check comes before anything else is read.
        var blob = Pack.Bytes((ref MessagePackWriter w) =>
        {
            w.WriteMapHeader(2);
            w.WriteString("hosts");
            w.WriteString("not an array in 2.0");
            WriteSchema(ref w, 2, 0);
        });
        Assert.Throws<ConfigSchemaException>(() => ConfigSerializer.Deserialize(blob));
    }

    [Fact]
    public void SchemaNeedNotBeFirst()
    {
        var blob = Pack.Bytes((ref MessagePackWriter w) =>
        {
            w.WriteMapHeader(2);
            w.WriteString("generation");
            w.WriteInt64(3);
            WriteSchema(ref w, 1, 4);
        });
        var config = ConfigSerializer.Deserialize(blob);
        Assert.Equal((3L, new SchemaVersion(1, 4)), (config.Generation, config.Schema));
    }

    [Fact]
    public void ReadSchemaReadsOnlyTheSchema()
    {
        var blob = ConfigSerializer.Serialize(TestConfigs.Small());
        Assert.Equal(SchemaVersion.Current, ConfigSerializer.ReadSchema(blob));

        // Values after the schema entry may be garbage: ReadSchema stops before them, Deserialize does not.
        var garbage = Pack.Bytes((ref MessagePackWriter w) =>
        {
            w.WriteMapHeader(2);
            WriteSchema(ref w, 1, 3);
            w.WriteString("hosts");
            w.WriteRaw([0xc1, 0xc1]);
        });
        Assert.Equal(new SchemaVersion(1, 3), ConfigSerializer.ReadSchema(garbage));
        Assert.Throws<MessagePackFormatException>(() => ConfigSerializer.Deserialize(garbage));
    }

    [Fact]
    public void MissingOrMalformedSchemaIsAFormatError()
    {
        var noSchema = Pack.Bytes((ref MessagePackWriter w) =>
        {
            w.WriteMapHeader(1);
            w.WriteString("generation");
            w.WriteInt64(1);
        });
        var error = Assert.Throws<MessagePackFormatException>(() => ConfigSerializer.Deserialize(noSchema));
        Assert.Contains("schema", error.Message, StringComparison.Ordinal);
        Assert.Throws<MessagePackFormatException>(() => ConfigSerializer.ReadSchema(noSchema));

        Assert.Throws<MessagePackFormatException>(() => ConfigSerializer.Deserialize(SchemaBlob((ref MessagePackWriter w) => w.WriteString("1.0"))));
        Assert.Throws<MessagePackFormatException>(() => ConfigSerializer.Deserialize(SchemaBlob((ref MessagePackWriter w) => { w.WriteArrayHeader(1); w.WriteInt64(1); })));
        Assert.Throws<MessagePackFormatException>(() => ConfigSerializer.Deserialize(SchemaBlob((ref MessagePackWriter w) => { w.WriteArrayHeader(2); w.WriteInt64(65536); w.WriteInt64(0); })));
        Assert.Throws<MessagePackFormatException>(() => ConfigSerializer.Deserialize(SchemaBlob((ref MessagePackWriter w) => { w.WriteArrayHeader(2); w.WriteInt64(-1); w.WriteInt64(0); })));
        Assert.Throws<MessagePackFormatException>(() => ConfigSerializer.Deserialize([0x90]));
        Assert.Throws<MessagePackFormatException>(() => ConfigSerializer.Deserialize([]));
    }

    [Fact]
    public void UnknownEnumValuesAreFormatErrors()
    {
        var match = Pack.Bytes((ref MessagePackWriter w) =>
        {
            w.WriteMapHeader(2);
            WriteSchema(ref w, 1, 0);
            w.WriteString("hosts");
            w.WriteArrayHeader(1);
            w.WriteMapHeader(1);
            w.WriteString("routes");
            w.WriteArrayHeader(1);
            w.WriteMapHeader(1);
            w.WriteString("match");
            w.WriteInt64(3);
        });
        Assert.Throws<MessagePackFormatException>(() => ConfigSerializer.Deserialize(match));

        var protocol = Pack.Bytes((ref MessagePackWriter w) =>
        {
            w.WriteMapHeader(2);
            WriteSchema(ref w, 1, 0);
            w.WriteString("backends");
            w.WriteArrayHeader(1);
            w.WriteMapHeader(1);
            w.WriteString("protocol");
            w.WriteInt64(-1);
        });
        Assert.Throws<MessagePackFormatException>(() => ConfigSerializer.Deserialize(protocol));
    }

    [Fact]
    public void TrailingBytesAreAFormatError()
    {
        var blob = ConfigSerializer.Serialize(TestConfigs.Small()).Append((byte)0xc0).ToArray();
        Assert.Throws<MessagePackFormatException>(() => ConfigSerializer.Deserialize(blob));
    }

    [Fact]
    public void WrongValueTypesAreFormatErrors()
    {
        Assert.Throws<MessagePackFormatException>(() => ConfigSerializer.Deserialize(TopLevel((ref MessagePackWriter w) => { w.WriteString("hosts"); w.WriteMapHeader(0); })));
        Assert.Throws<MessagePackFormatException>(() => ConfigSerializer.Deserialize(TopLevel((ref MessagePackWriter w) => { w.WriteString("hosts"); w.WriteArrayHeader(1); w.WriteInt64(1); })));
        Assert.Throws<MessagePackFormatException>(() => ConfigSerializer.Deserialize(TopLevel((ref MessagePackWriter w) => { w.WriteString("generation"); w.WriteString("1"); })));
        Assert.Throws<MessagePackFormatException>(() => ConfigSerializer.Deserialize(TopLevel((ref MessagePackWriter w) => { w.WriteString("default_backend"); w.WriteInt64(1); })));
        Assert.Throws<MessagePackFormatException>(() => ConfigSerializer.Deserialize(TopLevel((ref MessagePackWriter w) => { w.WriteString("generation"); w.WriteUInt64(ulong.MaxValue); })));
        Assert.Throws<MessagePackFormatException>(() => ConfigSerializer.Deserialize(TopLevel((ref MessagePackWriter w) =>
        {
            w.WriteString("backends");
            w.WriteArrayHeader(1);
            w.WriteMapHeader(1);
            w.WriteString("endpoints");
            w.WriteArrayHeader(1);
            w.WriteMapHeader(1);
            w.WriteString("port");
            w.WriteInt64(1L << 40);
        })));
    }

    [Fact]
    public void HostileStructuresAreFormatErrors()
    {
        // A depth bomb under an unknown key and under a known one.
        var bomb = Enumerable.Repeat((byte)0x91, 100_000).Append((byte)0xc0).ToArray();
        Assert.Throws<MessagePackFormatException>(() => ConfigSerializer.Deserialize(TopLevel((ref MessagePackWriter w) => { w.WriteString("zzz"); w.WriteRaw(bomb); })));
        Assert.Throws<MessagePackFormatException>(() => ConfigSerializer.Deserialize(TopLevel((ref MessagePackWriter w) => { w.WriteString("hosts"); w.WriteRaw(bomb); })));

        // A huge hosts header: rejected before anything is sized from it.
        var huge = TopLevel((ref MessagePackWriter w) => { w.WriteString("hosts"); w.WriteRaw([0xdd, 0xff, 0xff, 0xff, 0xff, 0x80, 0x80]); });
        Assert.Throws<MessagePackFormatException>(() => ConfigSerializer.Deserialize(huge));
        var before = GC.GetAllocatedBytesForCurrentThread();
        Assert.Throws<MessagePackFormatException>(() => ConfigSerializer.Deserialize(huge));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 16 * 1024);

        // Invalid UTF-8 in a value.
        Assert.Throws<MessagePackFormatException>(() => ConfigSerializer.Deserialize(TopLevel((ref MessagePackWriter w) => { w.WriteString("default_backend"); w.WriteStringUtf8([0xc3, 0x28]); })));
    }

    private const int JunkCount = 15;

    /// <summary>Writes <see cref="JunkCount"/> entries with unknown keys, covering every value family and a non-string key.</summary>
    private static void WriteJunk(ref MessagePackWriter w)
    {
        w.WriteString("x_nil");
        w.WriteNil();
        w.WriteString("x_bool");
        w.WriteBoolean(true);
        w.WriteString("x_int");
        w.WriteInt64(-70_000);
        w.WriteString("x_uint64");
        w.WriteUInt64(ulong.MaxValue);
        w.WriteString("x_float32");
        w.WriteSingle(1.5f);
        w.WriteString("x_float64");
        w.WriteDouble(0.1);
        w.WriteString("x_str");
        w.WriteString(new string('s', 300));
        w.WriteString("x_bin");
        w.WriteBinary(new byte[70]);
        w.WriteString("x_array");
        w.WriteArrayHeader(3);
        w.WriteInt64(1);
        w.WriteArrayHeader(1);
        w.WriteString("host"); // looks like a known key, but nested
        w.WriteMapHeader(0);
        w.WriteString("x_map");
        w.WriteMapHeader(2);
        w.WriteString("hosts");
        w.WriteArrayHeader(0);
        w.WriteString("schema");
        w.WriteArrayHeader(2);
        w.WriteInt64(99);
        w.WriteInt64(0);
        w.WriteString("x_ext");
        w.WriteExtension(7, [1, 2, 3]);
        w.WriteString("x_fixext");
        w.WriteExtension(-128, new byte[16]);
        w.WriteString("x_timestamp");
        w.WriteTimestamp(-5, 7);
        w.WriteInt64(12345); // non-string key
        w.WriteString("ignored");
        w.WriteString(""); // empty key
        w.WriteMapHeader(16);
        for (var i = 0; i < 16; i++)
        {
            w.WriteInt64(i);
            w.WriteNil();
        }
    }

    private static void WriteSchema(ref MessagePackWriter w, int major, int minor)
    {
        w.WriteString("schema");
        w.WriteArrayHeader(2);
        w.WriteInt64(major);
        w.WriteInt64(minor);
    }

    private static byte[] SchemaBlob(WriteAction schemaValue) => Pack.Bytes((ref MessagePackWriter w) =>
    {
        w.WriteMapHeader(1);
        w.WriteString("schema");
        schemaValue(ref w);
    });

    /// <summary>A top-level map with a valid schema and one more entry written by <paramref name="entry"/>.</summary>
    private static byte[] TopLevel(WriteAction entry) => Pack.Bytes((ref MessagePackWriter w) =>
    {
        w.WriteMapHeader(2);
        WriteSchema(ref w, 1, 0);
        entry(ref w);
    });

    private static void CollectKeys(ref MessagePackReader reader, List<string> keys, string prefix)
    {
        switch (reader.NextType)
        {
            case MessagePackType.Map:
                var count = reader.ReadMapHeader();
                for (var i = 0; i < count; i++)
                {
                    var key = reader.ReadString();
                    keys.Add(prefix + key);
                    CollectKeys(ref reader, keys, prefix + key + ".");
                }

                break;
            case MessagePackType.Array:
                var length = reader.ReadArrayHeader();
                for (var i = 0; i < length; i++)
                {
                    CollectKeys(ref reader, keys, prefix);
                }

                break;
            default:
                reader.Skip();
                break;
        }
    }

    private static string Hex(string ascii) => Convert.ToHexStringLower(System.Text.Encoding.ASCII.GetBytes(ascii));
}
