using Gatehouse.Channel;
using Gatehouse.Model;
using static Gatehouse.Channel.ChannelLayout;

namespace Gatehouse.Tests.Channel;

public sealed class ConfigChannelTests : IDisposable
{
    private static readonly SchemaVersion Schema = new(1, 3);

    private readonly TempDirectory _temp = new();
    private readonly string _path;

    public ConfigChannelTests()
    {
        _path = _temp.File("run/gatehouse/config.bin");
    }

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void RoundTripDeliversPayloadAndMetadata()
    {
        var writtenAt = new DateTimeOffset(2026, 11, 22, 4, 30, 0, 123, TimeSpan.Zero);
        using var writer = ConfigChannelWriter.Open(_path, new FixedTimeProvider(writtenAt));
        using var reader = new ConfigChannelReader(_path);

        Assert.Equal(ChannelReadStatus.NoChange, reader.Poll().Status);

        var payload = Payload(1, 1000);
        Assert.Equal(1, writer.Publish(payload, Schema));

        var result = reader.Poll();
        Assert.Equal(ChannelReadStatus.NewBlob, result.Status);
        var blob = result.Blob!;
        Assert.Equal(writer.InstanceId, blob.InstanceId);
        Assert.Equal(1, blob.Generation);
        Assert.Equal(Schema, blob.Schema);
        Assert.Equal(writtenAt, blob.WrittenAt);
        Assert.Equal(payload, blob.Payload);

        Assert.Equal(2, writer.Publish(Payload(2, 0), Schema));
        var empty = reader.Poll();
        Assert.Equal(ChannelReadStatus.NewBlob, empty.Status);
        Assert.Empty(empty.Blob!.Payload);
    }

    [Fact]
    public void PollReturnsNoChangeWhenNothingNew()
    {
        using var writer = ConfigChannelWriter.Open(_path);
        using var reader = new ConfigChannelReader(_path);
        writer.Publish(Payload(1, 10), Schema);

        Assert.Equal(ChannelReadStatus.NewBlob, reader.Poll().Status);
        Assert.Equal(ChannelReadStatus.NoChange, reader.Poll().Status);
        Assert.Equal(ChannelReadStatus.NoChange, reader.Poll().Status);

        writer.Publish(Payload(2, 10), Schema);
        Assert.Equal(2, reader.Poll().Blob!.Generation);
        Assert.Equal(ChannelReadStatus.NoChange, reader.Poll().Status);
    }

    [Fact]
    public void MissingFileIsReportedAsFileMissing()
    {
        using var reader = new ConfigChannelReader(_path);
        Assert.Equal(ChannelReadStatus.FileMissing, reader.Poll().Status);
        Assert.Equal(ChannelReadStatus.FileMissing, reader.Poll().Status);
    }

    [Fact]
    public void WriterCreatesParentDirectoryAndFileWithMode0600()
    {
        Assert.False(Directory.Exists(Path.GetDirectoryName(_path)));
        using var writer = ConfigChannelWriter.Open(_path);

        Assert.True(File.Exists(_path));
        if (OperatingSystem.IsWindows())
        {
            Assert.Fail("The channel is a Linux feature; file modes do not exist on Windows.");
            return;
        }

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_path));
    }

    [Fact]
    public void GenerationsContinueAfterReopeningTheWriter()
    {
        Guid instance;
        using (var writer = ConfigChannelWriter.Open(_path))
        {
            Assert.True(writer.WasInitialized);
            Assert.Equal(0, writer.Generation);
            writer.Publish(Payload(1, 10), Schema);
            writer.Publish(Payload(2, 10), Schema);
            instance = writer.InstanceId;
        }

        using var reader = new ConfigChannelReader(_path);
        Assert.Equal(2, reader.Poll().Blob!.Generation);

        using (var writer = ConfigChannelWriter.Open(_path))
        {
            Assert.False(writer.WasInitialized);
            Assert.Equal(instance, writer.InstanceId);
            Assert.Equal(2, writer.Generation);
            Assert.Equal(3, writer.Publish(Payload(3, 10), Schema));
        }

        var result = reader.Poll();
        Assert.Equal(ChannelReadStatus.NewBlob, result.Status);
        Assert.Equal(3, result.Blob!.Generation);
        Assert.Equal(instance, result.Blob.InstanceId);
    }

    [Fact]
    public void WriterNeverReusesAGenerationWrittenButNotPublishedBeforeACrash()
    {
        using (var writer = ConfigChannelWriter.Open(_path))
        {
            writer.Publish(Payload(1, 10), Schema);
        }

        // Slot 1 is inactive; pretend a writer wrote generation 7 there and died before publishing it.
        ChannelFile.WriteInt64(_path, SlotDescriptor(1) + SlotGenerationOffset, 7);

        using var reopened = ConfigChannelWriter.Open(_path);
        Assert.Equal(7, reopened.Generation);
        Assert.Equal(8, reopened.Publish(Payload(8, 10), Schema));
    }

    [Fact]
    public void WriterRepairsAHeaderLeftMidPublishAndReaderWaitsMeanwhile()
    {
        using (var writer = ConfigChannelWriter.Open(_path))
        {
            writer.Publish(Payload(1, 10), Schema);
            writer.Publish(Payload(2, 10), Schema);
        }

        // A writer killed inside the header seqlock leaves the sequence odd.
        var sequence = ChannelFile.ReadInt64(_path, HeaderSequenceOffset);
        ChannelFile.WriteInt64(_path, HeaderSequenceOffset, sequence + 1);

        using var reader = new ConfigChannelReader(_path) { TornGracePeriod = TimeSpan.Zero };
        var torn = reader.Poll();
        Assert.Equal(ChannelReadStatus.Rejected, torn.Status);
        Assert.Equal("torn", torn.RejectReason);
        Assert.Equal(ChannelReadStatus.NoChange, reader.Poll().Status);

        using (var writer = ConfigChannelWriter.Open(_path))
        {
            Assert.False(writer.WasInitialized);
            Assert.Equal(2, writer.Generation);
        }

        var repaired = reader.Poll();
        Assert.Equal(ChannelReadStatus.NewBlob, repaired.Status);
        Assert.Equal(2, repaired.Blob!.Generation);
        Assert.Equal(Payload(2, 10), repaired.Blob.Payload);
    }

    [Fact]
    public void PayloadLargerThanSlotGrowsTheFileWithoutMovingTheActiveSlot()
    {
        using var writer = ConfigChannelWriter.Open(_path);
        using var reader = new ConfigChannelReader(_path);
        var initialLength = new FileInfo(_path).Length;

        writer.Publish(Payload(1, 100), Schema);
        Assert.Equal(1, reader.Poll().Blob!.Generation);
        var before = ConfigChannelReader.ReadHeader(_path);
        var activeBefore = before.Slots[before.ActiveSlot];

        // Bigger than the initial 64 KiB slot: the inactive slot moves to the end of the file.
        var big = Payload(2, 300_000);
        writer.Publish(big, Schema);
        var after = ConfigChannelReader.ReadHeader(_path);
        Assert.True(new FileInfo(_path).Length > initialLength);
        Assert.Equal(activeBefore.Offset, after.Slots[activeBefore.Index].Offset);
        Assert.Equal(activeBefore.Capacity, after.Slots[activeBefore.Index].Capacity);
        Assert.True(after.Slots[after.ActiveSlot].Capacity >= big.Length);

        // The reader still holds the smaller mapping and must remap rather than fault.
        var grown = reader.Poll();
        Assert.Equal(ChannelReadStatus.NewBlob, grown.Status);
        Assert.Equal(big, grown.Blob!.Payload);

        // Now the other slot has to grow too, past the first growth.
        var bigger = Payload(3, 3_000_000);
        writer.Publish(bigger, Schema);
        Assert.Equal(bigger, reader.Poll().Blob!.Payload);

        var small = Payload(4, 10);
        writer.Publish(small, Schema);
        Assert.Equal(small, reader.Poll().Blob!.Payload);
    }

    [Fact]
    public void AGrowthReservesTheOtherSlotsSpaceSoTheNextPublishDoesNotGrowTheFile()
    {
        using var writer = ConfigChannelWriter.Open(_path);
        using var reader = new ConfigChannelReader(_path);

        // A cold start: the first config outgrows the initial slot.
        writer.Publish(Payload(1, 300_000), Schema);
        Assert.Equal(1, reader.Poll().Blob!.Generation);
        var afterFirst = new FileInfo(_path).Length;

        // The first change lands in the other slot, also too small: it takes the reserved space.
        var change = Payload(2, 300_100);
        writer.Publish(change, Schema);
        Assert.Equal(afterFirst, new FileInfo(_path).Length);
        Assert.Equal(change, reader.Poll().Blob!.Payload);

        var header = ConfigChannelReader.ReadHeader(_path);
        var (first, second) = (header.Slots[0], header.Slots[1]);
        Assert.True(first.Capacity >= 300_000 && second.Capacity >= 300_100);
        Assert.True(first.Offset + first.Capacity <= second.Offset || second.Offset + second.Capacity <= first.Offset);
        Assert.Equal(afterFirst, Math.Max(first.Offset + first.Capacity, second.Offset + second.Capacity));

        // Alternating from here on needs no more space.
        writer.Publish(Payload(3, 300_000), Schema);
        Assert.Equal(Payload(3, 300_000), reader.Poll().Blob!.Payload);
        Assert.Equal(afterFirst, new FileInfo(_path).Length);
    }

    [Fact]
    public void SameInstanceLowerOrEqualGenerationIsNotAccepted()
    {
        using (var writer = ConfigChannelWriter.Open(_path))
        {
            writer.Publish(Payload(1, 10), Schema);
            writer.Publish(Payload(2, 10), Schema);
            writer.Publish(Payload(3, 10), Schema);
        }

        using var reader = new ConfigChannelReader(_path);
        Assert.Equal(3, reader.Poll().Blob!.Generation);

        // Active slot is 0 (generations 1 and 3 went there). Roll its generation back to 2: CRC
        // covers the payload only, so this is a consistent blob with a lower generation.
        SetActiveGeneration(activeSlot: 0, generation: 2);
        Assert.Equal(ChannelReadStatus.NoChange, reader.Poll().Status);

        SetActiveGeneration(activeSlot: 0, generation: 3);
        Assert.Equal(ChannelReadStatus.NoChange, reader.Poll().Status);

        SetActiveGeneration(activeSlot: 0, generation: 4);
        Assert.Equal(4, reader.Poll().Blob!.Generation);
    }

    [Fact]
    public void NewInstanceIsAcceptedEvenWithALowerGeneration()
    {
        using (var writer = ConfigChannelWriter.Open(_path))
        {
            for (var generation = 1; generation <= 5; generation++)
            {
                writer.Publish(Payload(generation, 10), Schema);
            }
        }

        using var reader = new ConfigChannelReader(_path);
        var first = reader.Poll().Blob!;
        Assert.Equal(5, first.Generation);

        var otherInstance = Guid.NewGuid();
        Span<byte> id = stackalloc byte[16];
        otherInstance.TryWriteBytes(id, bigEndian: true, out _);
        ChannelFile.WriteBytes(_path, InstanceIdOffset, id);
        SetActiveGeneration(activeSlot: 0, generation: 2);

        var result = reader.Poll();
        Assert.Equal(ChannelReadStatus.NewBlob, result.Status);
        Assert.Equal(otherInstance, result.Blob!.InstanceId);
        Assert.Equal(2, result.Blob.Generation);
        Assert.Equal(ChannelReadStatus.NoChange, reader.Poll().Status);
    }

    [Fact]
    public void FlippedPayloadByteIsRejectedOnceAsCrcThenRecovers()
    {
        using var writer = ConfigChannelWriter.Open(_path);
        using var reader = new ConfigChannelReader(_path);
        writer.Publish(Payload(1, 500), Schema);
        Assert.Equal(ChannelReadStatus.NewBlob, reader.Poll().Status);

        writer.Publish(Payload(2, 500), Schema);
        var header = ConfigChannelReader.ReadHeader(_path);
        var active = header.Slots[header.ActiveSlot];
        var original = ChannelFile.ReadBytes(_path, active.Offset + 100, 1)[0];
        ChannelFile.WriteBytes(_path, active.Offset + 100, [(byte)(original ^ 0x40)]);
        Assert.False(ConfigChannelReader.ReadHeader(_path).Slots[header.ActiveSlot].CrcOk);

        var rejected = reader.Poll();
        Assert.Equal(ChannelReadStatus.Rejected, rejected.Status);
        Assert.Equal("crc", rejected.RejectReason);
        Assert.Contains("generation 2", rejected.Detail, StringComparison.Ordinal);
        Assert.Equal(ChannelReadStatus.NoChange, reader.Poll().Status);
        Assert.Equal(ChannelReadStatus.NoChange, reader.Poll().Status);

        writer.Publish(Payload(3, 500), Schema);
        Assert.Equal(3, reader.Poll().Blob!.Generation);
    }

    [Fact]
    public void WrongMagicIsRejectedOnce()
    {
        using var reader = PublishedAndRead();
        ChannelFile.WriteBytes(_path, MagicOffset, "NOTMAGIC"u8);

        var result = reader.Poll();
        Assert.Equal(ChannelReadStatus.Rejected, result.Status);
        Assert.Equal("magic", result.RejectReason);
        Assert.False(string.IsNullOrEmpty(result.Detail));
        Assert.Equal(ChannelReadStatus.NoChange, reader.Poll().Status);
    }

    [Fact]
    public void WrongLayoutVersionIsRejectedOnce()
    {
        using var reader = PublishedAndRead();
        ChannelFile.WriteUInt32(_path, LayoutVersionOffset, 99);

        var result = reader.Poll();
        Assert.Equal(ChannelReadStatus.Rejected, result.Status);
        Assert.Equal("layout_version", result.RejectReason);
        Assert.Contains("99", result.Detail, StringComparison.Ordinal);
        Assert.Equal(ChannelReadStatus.NoChange, reader.Poll().Status);
    }

    [Fact]
    public void TruncatedFileIsRejectedWithoutCrashingAndRecoversAfterWriterReinitialises()
    {
        using var reader = new ConfigChannelReader(_path);
        using (var first = ConfigChannelWriter.Open(_path))
        {
            first.Publish(Payload(1, 10), Schema);
            Assert.Equal(ChannelReadStatus.NewBlob, reader.Poll().Status);
            first.Publish(Payload(2, 10), Schema);
        }

        // Cut into the slot area: the header is intact but the active slot is gone. The reader's
        // mapping still covers the old length; touching those pages would be SIGBUS.
        ChannelFile.SetLength(_path, HeaderRegionSize + 100);
        var bounds = reader.Poll();
        Assert.Equal(ChannelReadStatus.Rejected, bounds.Status);
        Assert.Equal("bounds", bounds.RejectReason);
        Assert.Equal(ChannelReadStatus.NoChange, reader.Poll().Status);

        ChannelFile.SetLength(_path, 100);
        var truncated = reader.Poll();
        Assert.Equal(ChannelReadStatus.Rejected, truncated.Status);
        Assert.Equal("truncated", truncated.RejectReason);
        Assert.Equal(ChannelReadStatus.NoChange, reader.Poll().Status);

        ChannelFile.SetLength(_path, 0);
        Assert.Equal("truncated", reader.Poll().RejectReason);

        using var writer = ConfigChannelWriter.Open(_path);
        Assert.True(writer.WasInitialized);
        writer.Publish(Payload(1, 10), Schema);
        var recovered = reader.Poll();
        Assert.Equal(ChannelReadStatus.NewBlob, recovered.Status);
        Assert.Equal(writer.InstanceId, recovered.Blob!.InstanceId);
    }

    [Fact]
    public void ZeroedFileIsRejectedAndRecoversAfterWriterReinitialises()
    {
        Guid oldInstance;
        using (var writer = ConfigChannelWriter.Open(_path))
        {
            writer.Publish(Payload(1, 10), Schema);
            writer.Publish(Payload(2, 10), Schema);
            oldInstance = writer.InstanceId;
        }

        using var reader = new ConfigChannelReader(_path);
        Assert.Equal(2, reader.Poll().Blob!.Generation);

        ChannelFile.WriteBytes(_path, 0, new byte[new FileInfo(_path).Length]);
        var zeroed = reader.Poll();
        Assert.Equal(ChannelReadStatus.Rejected, zeroed.Status);
        Assert.Equal("magic", zeroed.RejectReason);
        Assert.Equal(ChannelReadStatus.NoChange, reader.Poll().Status);

        using var reopened = ConfigChannelWriter.Open(_path);
        Assert.True(reopened.WasInitialized);
        Assert.NotEqual(oldInstance, reopened.InstanceId);
        Assert.Equal(1, reopened.Publish(Payload(1, 10), Schema));

        var recovered = reader.Poll();
        Assert.Equal(ChannelReadStatus.NewBlob, recovered.Status);
        Assert.Equal(reopened.InstanceId, recovered.Blob!.InstanceId);
        Assert.Equal(1, recovered.Blob.Generation);
    }

    [Fact]
    public void DeletedAndRecreatedFileIsPickedUpAsANewInstance()
    {
        Guid oldInstance;
        using (var writer = ConfigChannelWriter.Open(_path))
        {
            for (var generation = 1; generation <= 3; generation++)
            {
                writer.Publish(Payload(generation, 10), Schema);
            }

            oldInstance = writer.InstanceId;
        }

        using var reader = new ConfigChannelReader(_path);
        Assert.Equal(3, reader.Poll().Blob!.Generation);

        File.Delete(_path);
        Assert.Equal(ChannelReadStatus.FileMissing, reader.Poll().Status);

        using var recreated = ConfigChannelWriter.Open(_path);
        Assert.NotEqual(oldInstance, recreated.InstanceId);
        var payload = Payload(1, 77);
        recreated.Publish(payload, Schema);

        var result = reader.Poll();
        Assert.Equal(ChannelReadStatus.NewBlob, result.Status);
        Assert.Equal(1, result.Blob!.Generation);
        Assert.Equal(payload, result.Blob.Payload);
    }

    [Fact]
    public void ReplacedFileIsReopenedEvenWithoutAFileMissingPoll()
    {
        using var reader = PublishedAndRead();

        // Build a new file elsewhere and rename it over the old one, as an atomic replace would.
        var other = _temp.File("other.bin");
        Guid instance;
        using (var writer = ConfigChannelWriter.Open(other))
        {
            writer.Publish(Payload(1, 33), Schema);
            instance = writer.InstanceId;
        }

        File.Move(other, _path, overwrite: true);
        var result = reader.Poll();
        Assert.Equal(ChannelReadStatus.NewBlob, result.Status);
        Assert.Equal(instance, result.Blob!.InstanceId);
    }

    [Fact]
    public void WriterReinitialisesAGarbageFileWithANewInstance()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(_path)!);
        var garbage = new byte[10_000];
        new Random(7).NextBytes(garbage);
        File.WriteAllBytes(_path, garbage);
        Assert.Throws<ChannelFormatException>(() => ConfigChannelReader.ReadHeader(_path));

        using var writer = ConfigChannelWriter.Open(_path);
        Assert.True(writer.WasInitialized);
        Assert.NotEqual(Guid.Empty, writer.InstanceId);
        Assert.Equal(0, writer.Generation);

        var header = ConfigChannelReader.ReadHeader(_path);
        Assert.Equal(writer.InstanceId, header.InstanceId);
        Assert.Equal(-1, header.ActiveSlot);

        writer.Publish(Payload(1, 10), Schema);
        using var reader = new ConfigChannelReader(_path);
        Assert.Equal(1, reader.Poll().Blob!.Generation);
    }

    [Fact]
    public void ReinitialisingAlwaysPicksAFreshInstanceId()
    {
        Guid first;
        using (var writer = ConfigChannelWriter.Open(_path))
        {
            first = writer.InstanceId;
        }

        ChannelFile.WriteBytes(_path, MagicOffset, "GARBAGE!"u8);
        using var again = ConfigChannelWriter.Open(_path);
        Assert.True(again.WasInitialized);
        Assert.NotEqual(first, again.InstanceId);
    }

    [Fact]
    public void ReadHeaderReportsBothSlots()
    {
        var writtenAt = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);
        using (var writer = ConfigChannelWriter.Open(_path, new FixedTimeProvider(writtenAt)))
        {
            writer.Publish(Payload(1, 10), new SchemaVersion(1, 0));
            writer.Publish(Payload(2, 20), new SchemaVersion(1, 2));
        }

        var header = ConfigChannelReader.ReadHeader(_path);
        Assert.Equal(1u, header.LayoutVersion);
        Assert.Equal(2, header.Generation);
        Assert.Equal(1, header.ActiveSlot);
        Assert.Equal([0, 1], header.Slots.Select(s => s.Index));
        Assert.False(header.Slots[0].IsActive);
        Assert.True(header.Slots[1].IsActive);
        Assert.Equal(1, header.Slots[0].Generation);
        Assert.Equal(2, header.Slots[1].Generation);
        Assert.Equal(10, header.Slots[0].Length);
        Assert.Equal(20, header.Slots[1].Length);
        Assert.Equal(new SchemaVersion(1, 2), header.Slots[1].Schema);
        Assert.All(header.Slots, s => Assert.True(s.CrcOk));
        Assert.All(header.Slots, s => Assert.Equal(writtenAt, s.WrittenAt));
        Assert.Equal(Crc32C.Compute(Payload(2, 20)), header.Slots[1].Crc);
    }

    private ConfigChannelReader PublishedAndRead()
    {
        using (var writer = ConfigChannelWriter.Open(_path))
        {
            writer.Publish(Payload(1, 10), Schema);
        }

        var reader = new ConfigChannelReader(_path);
        Assert.Equal(ChannelReadStatus.NewBlob, reader.Poll().Status);
        return reader;
    }

    /// <summary>Rewrites the published generation in header and active slot alike, as a consistent state.</summary>
    private void SetActiveGeneration(int activeSlot, long generation)
    {
        ChannelFile.WriteInt64(_path, GenerationOffset, generation);
        ChannelFile.WriteInt64(_path, SlotDescriptor(activeSlot) + SlotGenerationOffset, generation);
    }

    private static byte[] Payload(long generation, int length)
    {
        var payload = new byte[length];
        new Random((int)generation).NextBytes(payload);
        return payload;
    }
}
