using System.Buffers.Binary;
using Gatehouse.Channel;
using Gatehouse.Model;
using Gatehouse.Serialization;
using Gatehouse.Tests.Channel;
using Gatehouse.Tests.Serialization;
using static Gatehouse.Channel.ChannelLayout;

namespace Gatehouse.Tests.Fuzzing;

/// <summary>
/// Fuzzes the channel header: the pure checks in <see cref="ChannelHeaderCheck"/> in memory, and the
/// reader end to end on real files whose header (and length) was corrupted. The reader must never
/// throw for bad content and must hand out only payloads whose CRC matches the header.
/// </summary>
public sealed class ChannelHeaderFuzzTests
{
    public const int CheckCases = 30_000;
    public const int FileCases = 3_000;

    /// <summary>Header fields and descriptor fields as (offset, size), the targets of field-aware mutations.</summary>
    private static readonly (int Offset, int Size)[] Fields = BuildFields();

    [Fact]
    public void HeaderChecksNeverThrowAndAcceptOnlyInBoundsSlots()
    {
        var valid = ValidHeader();
        FuzzRun.Cases(nameof(HeaderChecksNeverThrowAndAcceptOnlyInBoundsSlots), 7_007, CheckCases, (random, i) =>
        {
            var header = random.Next(4) == 0 ? RandomBytes(random, random.Next(0, 300)) : MutateHeader(valid, random);
            var fileLength = EdgeLong(random, 1 << 20);
            if (ChannelHeaderCheck.CheckFixedFields(header, fileLength, out var detail) is null)
            {
                Assert.True(header.Length >= HeaderSize && fileLength >= HeaderRegionSize);
                Assert.Equal(Magic, BinaryPrimitives.ReadUInt64LittleEndian(header));
                Assert.Equal("", detail);
            }
            else
            {
                Assert.NotEqual("", detail);
            }

            var offset = EdgeLong(random, fileLength);
            var capacity = EdgeLong(random, fileLength);
            var length = EdgeLong(random, capacity);
            if (ChannelHeaderCheck.CheckSlotBounds(random.Next(2), offset, capacity, length, fileLength, out _) is null)
            {
                // Int128: the invariant itself must not be checked with arithmetic that can wrap.
                Assert.True(offset >= HeaderRegionSize && length >= 0 && length <= capacity
                    && (Int128)offset + capacity <= fileLength, $"accepted offset {offset} capacity {capacity} length {length} in {fileLength}");
            }
        });
    }

    [Fact]
    public void CorruptHeadersNeverBreakPollOrReadHeader()
    {
        using var directory = new TempDirectory();
        var template = TemplateFile(directory);
        var path = directory.File("fuzz.bin");
        var seen = new Dictionary<ChannelReadStatus, int>();
        var reasons = new HashSet<string>();
        FuzzRun.Cases(nameof(CorruptHeadersNeverBreakPollOrReadHeader), 8_008, FileCases, (random, i) =>
        {
            var file = MutateFile(template, random);
            File.WriteAllBytes(path, file);

            using (var reader = new ConfigChannelReader(path))
            {
                var result = reader.Poll();
                seen[result.Status] = seen.GetValueOrDefault(result.Status) + 1;
                Assert.NotEqual(ChannelReadStatus.FileMissing, result.Status);
                switch (result.Status)
                {
                    case ChannelReadStatus.NewBlob:
                        AssertPublishedPayload(file, result.Blob!);
                        break;
                    case ChannelReadStatus.Rejected:
                        Assert.False(string.IsNullOrEmpty(result.RejectReason));
                        reasons.Add(result.RejectReason!);
                        break;
                    default:
                        Assert.Null(result.Blob);
                        break;
                }

                // Nothing changed: the same state is reported once, and a blob is never handed out twice.
                Assert.Equal(ChannelReadStatus.NoChange, reader.Poll().Status);
            }

            try
            {
                var info = ConfigChannelReader.ReadHeader(path);
                Assert.Equal(file.Length, info.FileLength);
            }
            catch (ChannelFormatException e)
            {
                Assert.False(string.IsNullOrEmpty(e.Reason));
            }
        });

        Assert.True(seen.GetValueOrDefault(ChannelReadStatus.NewBlob) > 100, "too few mutants still published a blob");
        Assert.True(seen.GetValueOrDefault(ChannelReadStatus.Rejected) > 100, "too few mutants were rejected");
        Assert.True(seen.GetValueOrDefault(ChannelReadStatus.NoChange) > 10, "no mutant looked torn or unpublished");
        foreach (var reason in new[] { "truncated", "magic", "layout_version", "header_size", "active_slot", "bounds", "crc" })
        {
            Assert.Contains(reason, reasons);
        }
    }

    [Fact]
    public void ReadHeaderOfAMissingFileIsFileNotFound()
    {
        using var directory = new TempDirectory();
        Assert.Throws<FileNotFoundException>(() => ConfigChannelReader.ReadHeader(directory.File("absent.bin")));
    }

    /// <summary>A NewBlob must be exactly the active slot's bytes in the file, and match that slot's CRC.</summary>
    private static void AssertPublishedPayload(byte[] file, ChannelBlob blob)
    {
        var active = BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(ActiveSlotOffset));
        Assert.True(active < SlotCount);
        var descriptor = file.AsSpan(SlotDescriptor((int)active), SlotDescriptorSize);
        var offset = BinaryPrimitives.ReadInt64LittleEndian(descriptor[SlotOffsetOffset..]);
        var length = BinaryPrimitives.ReadInt64LittleEndian(descriptor[SlotLengthOffset..]);
        var crc = BinaryPrimitives.ReadUInt32LittleEndian(descriptor[SlotCrcOffset..]);
        Assert.Equal(length, blob.Payload.Length);
        Assert.Equal(crc, Crc32C.Compute(blob.Payload));
        Assert.True(file.AsSpan((int)offset, (int)length).SequenceEqual(blob.Payload));
        Assert.Equal(BinaryPrimitives.ReadInt64LittleEndian(file.AsSpan(GenerationOffset)), blob.Generation);
    }

    /// <summary>A channel with both slots written (generation 2 active), as the corruption template.</summary>
    private static byte[] TemplateFile(TempDirectory directory)
    {
        var path = directory.File("template.bin");
        using (var writer = ConfigChannelWriter.Open(path))
        {
            writer.Publish(ConfigSerializer.Serialize(TestConfigs.Small()), SchemaVersion.Current);
            writer.Publish(ConfigSerializer.Serialize(TestConfigs.Large(5)), SchemaVersion.Current);
        }

        return File.ReadAllBytes(path);
    }

    private static byte[] MutateFile(byte[] template, Random random)
    {
        var file = (byte[])template.Clone();
        var header = MutateHeader(template.AsSpan(0, HeaderSize).ToArray(), random);
        header.AsSpan(0, Math.Min(header.Length, HeaderSize)).CopyTo(file);
        switch (random.Next(10))
        {
            case 0:
                // Shorter than the header region, or cut inside a slot.
                return file[..(random.Next(2) == 0 ? random.Next(HeaderRegionSize) : random.Next(HeaderRegionSize, file.Length))];
            case 1:
                return [.. file, .. new byte[Alignment * random.Next(1, 4)]];
            case 2:
                // Corrupt the payload instead: the CRC must catch it.
                file[random.Next(HeaderRegionSize, file.Length)] ^= (byte)(1 << random.Next(8));
                return file;
            default:
                return file;
        }
    }

    /// <summary>Field-aware and byte-level mutations of a 256-byte header.</summary>
    private static byte[] MutateHeader(byte[] valid, Random random)
    {
        var header = (byte[])valid.Clone();
        Span<byte> value = stackalloc byte[8];
        var mutations = random.Next(1, 4);
        for (var m = 0; m < mutations; m++)
        {
            switch (random.Next(6))
            {
                case 0:
                    header[random.Next(header.Length)] ^= (byte)(1 << random.Next(8));
                    break;
                case 1:
                    header[random.Next(header.Length)] = (byte)random.Next(256);
                    break;
                case 2:
                    // Swap the two slot descriptors or copy one over the other.
                    var from = SlotDescriptor(random.Next(2));
                    var to = SlotDescriptor(random.Next(2));
                    valid.AsSpan(from, SlotDescriptorSize).CopyTo(header.AsSpan(to));
                    break;
                default:
                    var (offset, size) = Fields[random.Next(Fields.Length)];
                    BinaryPrimitives.WriteInt64LittleEndian(value, EdgeLong(random, 1 << 20));
                    value[..size].CopyTo(header.AsSpan(offset));
                    break;
            }
        }

        return header;
    }

    private static byte[] ValidHeader()
    {
        var header = new byte[HeaderSize];
        BinaryPrimitives.WriteUInt64LittleEndian(header, Magic);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(LayoutVersionOffset), LayoutVersion);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(HeaderSizeOffset), HeaderSize);
        return header;
    }

    /// <summary>Values near the boundaries the checks care about, relative to a reference like the file length.</summary>
    private static long EdgeLong(Random random, long reference) => random.Next(12) switch
    {
        0 => 0,
        1 => -1,
        2 => long.MaxValue,
        3 => long.MinValue,
        4 => reference,
        5 => reference - random.Next(1, 5),
        6 => reference + random.Next(1, 5),
        7 => HeaderRegionSize + random.Next(-2, 3),
        8 => long.MaxValue - random.Next(0, HeaderRegionSize * 2),
        9 => random.Next(2),
        10 => uint.MaxValue,
        _ => random.NextInt64(-10, (1L << 21) + 10),
    };

    private static byte[] RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    private static (int, int)[] BuildFields()
    {
        var fields = new List<(int, int)>
        {
            (MagicOffset, 8), (LayoutVersionOffset, 4), (HeaderSizeOffset, 4), (InstanceIdOffset, 8),
            (HeaderSequenceOffset, 8), (GenerationOffset, 8), (ActiveSlotOffset, 4), (ActiveSlotOffset, 4),
        };
        for (var slot = 0; slot < SlotCount; slot++)
        {
            var d = SlotDescriptor(slot);
            fields.AddRange([
                (d + SlotSequenceOffset, 8), (d + SlotOffsetOffset, 8), (d + SlotCapacityOffset, 8), (d + SlotLengthOffset, 8),
                (d + SlotLengthOffset, 8), (d + SlotGenerationOffset, 8), (d + SlotWrittenAtOffset, 8), (d + SlotCrcOffset, 4),
                (d + SlotSchemaMajorOffset, 2)]);
        }

        return [.. fields];
    }
}
