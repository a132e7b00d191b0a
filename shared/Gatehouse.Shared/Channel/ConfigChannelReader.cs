using System.Buffers.Binary;
using System.Diagnostics;
using Gatehouse.Model;
using static Gatehouse.Channel.ChannelLayout;

namespace Gatehouse.Channel;

/// <summary>
/// The proxy's side of the channel (protocol in docs/channel.md). Not thread-safe: one strategy
/// thread polls it. Only the header page is mapped (the seqlocks need shared-memory loads), and
/// every access to it is preceded by a check that the file still covers it, because touching a
/// mapped page beyond the end of a truncated file raises SIGBUS. Payloads are copied with pread,
/// which reports a file that shrank as a short read instead of killing the process.
/// </summary>
public sealed unsafe class ConfigChannelReader : IDisposable
{
    /// <summary>Seqlock retries within one poll before giving up until the next poll.</summary>
    private const int MaxAttempts = 8;

    private readonly TimeProvider _time;
    private FileStream? _stream;
    private FileStatus _openedFile;
    private MappedRegion? _region;
    private Guid? _acceptedInstance;
    private long _acceptedGeneration;
    private string? _reportedKey;
    private long? _tornSince;
    private bool _disposed;

    public ConfigChannelReader(string path)
        : this(path, TimeProvider.System)
    {
    }

    internal ConfigChannelReader(string path, TimeProvider time)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Path = path;
        _time = time;
    }

    public string Path { get; }

    /// <summary>
    /// How long the file may look torn (a sequence odd or changing on every attempt) before that is
    /// reported as Rejected "torn". Short tearing is a normal race with the writer and stays silent.
    /// </summary>
    public TimeSpan TornGracePeriod { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Checks for a newer blob. Never throws for bad file content.</summary>
    public ChannelReadResult Poll()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        try
        {
            return PollFile();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Permissions, a racing delete or similar: start from scratch next time.
            CloseFile();
            return Reject("io", ex.Message, $"io:{ex.GetType().Name}:{ex.Message}");
        }
    }

    /// <summary>Reads the header and both slot descriptors without mapping, for diagnostics.</summary>
    /// <exception cref="ChannelFormatException">The header is unreadable.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static ChannelHeaderInfo ReadHeader(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var fileLength = stream.Length;
        var header = new byte[HeaderSize];
        var read = ReadAt(stream, header, 0);
        if (ChannelHeaderCheck.CheckFixedFields(header.AsSpan(0, read), fileLength, out var detail) is { } reason)
        {
            throw new ChannelFormatException(reason, detail);
        }

        var active = BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(ActiveSlotOffset));
        if (active != NoActiveSlot && active >= SlotCount)
        {
            throw new ChannelFormatException("active_slot", $"active slot is {active}");
        }

        var slots = new ChannelSlotInfo[SlotCount];
        for (var slot = 0; slot < SlotCount; slot++)
        {
            var d = header.AsSpan(SlotDescriptor(slot), SlotDescriptorSize);
            var offset = BinaryPrimitives.ReadInt64LittleEndian(d[SlotOffsetOffset..]);
            var capacity = BinaryPrimitives.ReadInt64LittleEndian(d[SlotCapacityOffset..]);
            var length = BinaryPrimitives.ReadInt64LittleEndian(d[SlotLengthOffset..]);
            var crc = BinaryPrimitives.ReadUInt32LittleEndian(d[SlotCrcOffset..]);
            var crcOk = false;
            if (ChannelHeaderCheck.CheckSlotBounds(slot, offset, capacity, length, fileLength, out _) is null && length <= Array.MaxLength)
            {
                var payload = new byte[length];
                crcOk = ReadAt(stream, payload, offset) == length && Crc32C.Compute(payload) == crc;
            }

            slots[slot] = new ChannelSlotInfo(
                slot,
                active == (uint)slot,
                BinaryPrimitives.ReadUInt64LittleEndian(d[SlotSequenceOffset..]),
                offset,
                capacity,
                length,
                BinaryPrimitives.ReadInt64LittleEndian(d[SlotGenerationOffset..]),
                crc,
                crcOk,
                new SchemaVersion(
                    BinaryPrimitives.ReadUInt16LittleEndian(d[SlotSchemaMajorOffset..]),
                    BinaryPrimitives.ReadUInt16LittleEndian(d[SlotSchemaMinorOffset..])),
                FromUnixMilliseconds(BinaryPrimitives.ReadInt64LittleEndian(d[SlotWrittenAtOffset..])));
        }

        return new ChannelHeaderInfo(
            System.IO.Path.GetFullPath(path),
            fileLength,
            BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(LayoutVersionOffset)),
            BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(HeaderSizeOffset)),
            new Guid(header.AsSpan(InstanceIdOffset, 16), bigEndian: true),
            BinaryPrimitives.ReadUInt64LittleEndian(header.AsSpan(HeaderSequenceOffset)),
            BinaryPrimitives.ReadInt64LittleEndian(header.AsSpan(GenerationOffset)),
            active == NoActiveSlot ? -1 : (int)active,
            slots);
    }

    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            CloseFile();
        }
    }

    private ChannelReadResult PollFile()
    {
        var status = FileStatus.OfPath(Path);
        if (!status.Exists)
        {
            CloseFile();
            _tornSince = null;
            return new ChannelReadResult(ChannelReadStatus.FileMissing);
        }

        if (_stream is null || !status.IsSameFile(_openedFile))
        {
            // First poll, or the path now names another file (replaced, or deleted and recreated):
            // the old mapping shows a file nobody writes any more.
            CloseFile();
            if (!TryOpen(out status))
            {
                return new ChannelReadResult(ChannelReadStatus.FileMissing);
            }
        }

        var size = status.Size;
        if (size < HeaderRegionSize)
        {
            // Drop the mapping: it may cover pages that no longer exist.
            UnmapRegion();
            return Reject(
                "truncated",
                $"file is {size} bytes, shorter than the {HeaderRegionSize}-byte header region",
                $"truncated:{_openedFile.Inode}:{size}");
        }

        // The header page only: growth of the file never needs a remap, and a truncation can only
        // hurt in the moment between measuring the size above and reading the header below.
        if (_region is null && !TryMapHeader())
        {
            return Torn("the file changed size while being mapped");
        }

        return ReadActiveSlot(size);
    }

    private ChannelReadResult ReadActiveSlot(long size)
    {
        var spinner = default(SpinWait);
        var tornDetail = "";
        for (var attempt = 0; attempt < MaxAttempts; attempt++, spinner.SpinOnce(sleep1Threshold: -1))
        {
            var header = _region!.Pointer;

            // Acquire: the writer stores the magic last when it initialises a file.
            _ = Volatile.Read(ref *(ulong*)(header + MagicOffset));
            if (ChannelHeaderCheck.CheckFixedFields(new ReadOnlySpan<byte>(header, HeaderSize), size, out var detail) is { } reason)
            {
                return Reject(reason, detail, $"{reason}:{_openedFile.Inode}:{BinaryPrimitives.ReadUInt64LittleEndian(new ReadOnlySpan<byte>(header, 16))}");
            }

            var headerSequence = (ulong*)(header + HeaderSequenceOffset);
            var headerBegin = SeqLock.ReadBegin(headerSequence);
            var instance = new Guid(new ReadOnlySpan<byte>(header + InstanceIdOffset, 16), bigEndian: true);
            var generation = Read<long>(header, GenerationOffset);
            var active = Read<uint>(header, ActiveSlotOffset);
            if (!SeqLock.ReadValidate(headerSequence, headerBegin))
            {
                tornDetail = $"header sequence {headerBegin} is odd or changing";
                continue;
            }

            if (active == NoActiveSlot || (_acceptedInstance == instance && generation <= _acceptedGeneration))
            {
                return NoChange();
            }

            if (active >= SlotCount)
            {
                return Reject("active_slot", $"active slot is {active}", $"active_slot:{instance}:{headerBegin}");
            }

            var descriptor = header + SlotDescriptor((int)active);
            var slotSequence = (ulong*)(descriptor + SlotSequenceOffset);
            var slotBegin = SeqLock.ReadBegin(slotSequence);
            var offset = Read<long>(descriptor, SlotOffsetOffset);
            var capacity = Read<long>(descriptor, SlotCapacityOffset);
            var length = Read<long>(descriptor, SlotLengthOffset);
            var slotGeneration = Read<long>(descriptor, SlotGenerationOffset);
            var writtenAt = Read<long>(descriptor, SlotWrittenAtOffset);
            var crc = Read<uint>(descriptor, SlotCrcOffset);
            var schema = new SchemaVersion(Read<ushort>(descriptor, SlotSchemaMajorOffset), Read<ushort>(descriptor, SlotSchemaMinorOffset));
            if (!SeqLock.ReadValidate(slotSequence, slotBegin))
            {
                tornDetail = $"slot {active} sequence {slotBegin} is odd or changing";
                continue;
            }

            if (slotGeneration != generation)
            {
                // The writer has moved on since we read the header, or died between writing this
                // slot and publishing; either way this is not the published generation.
                tornDetail = $"header generation {generation} but slot {active} holds {slotGeneration}";
                continue;
            }

            var key = $"{instance}:{generation}:{slotBegin}";
            if (ChannelHeaderCheck.CheckSlotBounds((int)active, offset, capacity, length, size, out detail) is not null
                || length > Array.MaxLength)
            {
                // The writer may have grown the file after we measured it.
                var grown = FileStatus.OfHandle(_stream!.SafeFileHandle).Size;
                if (grown > size)
                {
                    size = grown;
                    continue;
                }

                return Reject("bounds", detail, "bounds:" + key);
            }

            if (_reportedKey == "crc:" + key)
            {
                return NoChange();
            }

            // pread, not the mapping: if someone truncates the file during the copy (only an outside
            // process would; the writer never shrinks it) this is a short read, not a SIGBUS. It
            // reads the same page-cache pages the writer stores to, so the seqlock still applies:
            // the syscall sits between the acquire load above and the fenced re-check below.
            var payload = GC.AllocateUninitializedArray<byte>((int)length);
            if (ReadAt(_stream!, payload, offset) != payload.Length)
            {
                return Torn($"the file shrank below {offset + length} bytes while slot {active} was being read");
            }

            if (!SeqLock.ReadValidate(slotSequence, slotBegin))
            {
                tornDetail = $"slot {active} was rewritten while being copied";
                continue;
            }

            var actual = Crc32C.Compute(payload);
            if (actual != crc)
            {
                // The sequence was stable around the copy, so this is what the file really holds.
                return Reject("crc", $"generation {generation} in slot {active}: CRC-32C is 0x{actual:x8}, header says 0x{crc:x8}", "crc:" + key);
            }

            _acceptedInstance = instance;
            _acceptedGeneration = generation;
            _reportedKey = null;
            _tornSince = null;
            return new ChannelReadResult(
                ChannelReadStatus.NewBlob,
                new ChannelBlob(instance, generation, schema, FromUnixMilliseconds(writtenAt), payload));
        }

        return Torn(tornDetail);
    }

    private ChannelReadResult NoChange()
    {
        _tornSince = null;
        return new ChannelReadResult(ChannelReadStatus.NoChange);
    }

    /// <summary>Reports each distinct bad state once; polls that find the same state again see NoChange.</summary>
    private ChannelReadResult Reject(string reason, string detail, string key)
    {
        _tornSince = null;
        if (_reportedKey == key)
        {
            return new ChannelReadResult(ChannelReadStatus.NoChange);
        }

        _reportedKey = key;
        return new ChannelReadResult(ChannelReadStatus.Rejected, RejectReason: reason, Detail: detail);
    }

    /// <summary>A torn read is retried on later polls; only a persistent one is reported.</summary>
    private ChannelReadResult Torn(string detail)
    {
        var now = _time.GetTimestamp();
        _tornSince ??= now;
        if (_time.GetElapsedTime(_tornSince.Value, now) < TornGracePeriod)
        {
            return new ChannelReadResult(ChannelReadStatus.NoChange);
        }

        var result = Reject("torn", $"{detail} for over {TornGracePeriod.TotalSeconds:0.###} s", $"torn:{_openedFile.Inode}");
        _tornSince = now;
        return result;
    }

    private bool TryOpen(out FileStatus status)
    {
        try
        {
            _stream = new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            status = FileStatus.Missing;
            return false;
        }

        status = FileStatus.OfHandle(_stream.SafeFileHandle);
        _openedFile = status;
        return true;
    }

    private bool TryMapHeader()
    {
        UnmapRegion();
        try
        {
            _region = MappedRegion.MapPrefix(_stream!, HeaderRegionSize);
            return true;
        }
        catch (Exception ex) when (ex is IOException or ArgumentException or UnauthorizedAccessException)
        {
            // Typically the file shrank between measuring and mapping it.
            return false;
        }
    }

    private void UnmapRegion()
    {
        _region?.Dispose();
        _region = null;
    }

    private void CloseFile()
    {
        UnmapRegion();
        _stream?.Dispose();
        _stream = null;
        _openedFile = FileStatus.Missing;
    }

    private static int ReadAt(FileStream stream, Span<byte> buffer, long offset)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var read = RandomAccess.Read(stream.SafeFileHandle, buffer[total..], offset + total);
            if (read == 0)
            {
                break;
            }

            total += read;
        }

        return total;
    }

    private static DateTimeOffset FromUnixMilliseconds(long milliseconds)
        => milliseconds is >= -62_135_596_800_000 and <= 253_402_300_799_999
            ? DateTimeOffset.FromUnixTimeMilliseconds(milliseconds)
            : DateTimeOffset.MinValue;

    private static T Read<T>(byte* baseAddress, int offset) where T : unmanaged => *(T*)(baseAddress + offset);
}
