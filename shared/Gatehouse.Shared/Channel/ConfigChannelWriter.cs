using Gatehouse.Model;
using static Gatehouse.Channel.ChannelLayout;

namespace Gatehouse.Channel;

/// <summary>
/// The controller's side of the double-buffered memory-mapped config file (layout in docs/channel.md).
/// There must be one writer per file; <see cref="Publish"/> is thread-safe within this process.
/// </summary>
public sealed unsafe class ConfigChannelWriter : IDisposable
{
    public const string DefaultPath = "/var/run/gatehouse/config.bin";

    private readonly Lock _sync = new();
    private readonly FileStream _stream;
    private readonly TimeProvider _time;
    private MappedRegion _region;
    private long _generation;
    private int _activeSlot;
    private bool _disposed;

    // Space at the end of the file set aside for the other slot by the last growth (see Grow).
    private (long Offset, long Capacity)? _reserved;

    private ConfigChannelWriter(string path, FileStream stream, MappedRegion region, TimeProvider time)
    {
        Path = path;
        _stream = stream;
        _region = region;
        _time = time;
    }

    public string Path { get; }

    /// <summary>Random id of this file's current incarnation.</summary>
    public Guid InstanceId { get; private set; }

    /// <summary>The generation most recently published (0 for a new file).</summary>
    public long Generation
    {
        get
        {
            lock (_sync)
            {
                return _generation;
            }
        }
    }

    /// <summary>True when <see cref="Open(string)"/> found no valid header and initialised the file.</summary>
    public bool WasInitialized { get; private set; }

    internal long FileLength => _region.Length;

    /// <summary>Opens or creates (mode 0600) the channel file.</summary>
    public static ConfigChannelWriter Open(string path) => Open(path, TimeProvider.System);

    internal static ConfigChannelWriter Open(string path, TimeProvider time)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var fullPath = System.IO.Path.GetFullPath(path);
        var directory = System.IO.Path.GetDirectoryName(fullPath);
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        // A new file is built under a temporary name and renamed into place, so a reader never
        // sees it empty or half initialised (which it would have to report as truncated).
        if (!File.Exists(fullPath) && TryCreate(fullPath, time, replace: false) is { } created)
        {
            return created;
        }

        var stream = new FileStream(fullPath, StreamOptions(FileMode.OpenOrCreate));
        try
        {
            // A file too short to hold a header is never mapped: a mapping must not reach past its end.
            if (stream.Length >= HeaderRegionSize)
            {
                var writer = new ConfigChannelWriter(fullPath, stream, MappedRegion.Map(stream, stream.Length, writable: true), time);
                if (writer.TryContinue())
                {
                    return writer;
                }

                writer.Dispose();
            }
            else
            {
                stream.Dispose();
            }
        }
        catch
        {
            stream.Dispose();
            throw;
        }

        // Unusable (truncated, foreign or corrupt): build a fresh file and rename it over this one
        // rather than re-initialise in place. A reader then switches to the new inode in one step;
        // in place it would see the cleared magic and the old, shorter size on the way and report
        // transient rejections, and a truncate-then-extend could leave it mapping a shrunk file.
        return TryCreate(fullPath, time, replace: true)!;
    }

    /// <summary>
    /// Creates and initialises the file atomically. With <paramref name="replace"/> it renames over
    /// whatever is at the path; without, it returns null if another file appeared there meanwhile.
    /// </summary>
    private static ConfigChannelWriter? TryCreate(string fullPath, TimeProvider time, bool replace)
    {
        var temporary = System.IO.Path.Combine(
            System.IO.Path.GetDirectoryName(fullPath)!,
            $".{System.IO.Path.GetFileName(fullPath)}.{Guid.NewGuid():N}.tmp");
        var stream = new FileStream(temporary, StreamOptions(FileMode.CreateNew));
        ConfigChannelWriter? writer = null;
        try
        {
            stream.SetLength(MinimumFileLength);
            writer = new ConfigChannelWriter(fullPath, stream, MappedRegion.Map(stream, MinimumFileLength, writable: true), time);
            writer.Initialize();

            // Without replace: if a file appeared meanwhile, it is continued (or replaced) instead.
            File.Move(temporary, fullPath, overwrite: replace);
            return writer;
        }
        catch (IOException) when (!replace && File.Exists(fullPath))
        {
            File.Delete(temporary);
            writer?.Dispose();
            stream.Dispose();
            return null;
        }
        catch
        {
            File.Delete(temporary);
            writer?.Dispose();
            stream.Dispose();
            throw;
        }
    }

    private static FileStreamOptions StreamOptions(FileMode mode)
    {
        var options = new FileStreamOptions
        {
            Mode = mode,
            Access = FileAccess.ReadWrite,

            // Readers map the file while we write it, and an operator may delete or replace it.
            Share = FileShare.ReadWrite | FileShare.Delete,
        };
        if (!OperatingSystem.IsWindows())
        {
            // Certificates' private keys travel in the payload.
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        return options;
    }

    private static long MinimumFileLength => HeaderRegionSize + (SlotCount * InitialSlotCapacity);

    /// <summary>Writes the payload to the inactive slot and publishes it; returns its generation.</summary>
    public long Publish(ReadOnlySpan<byte> payload, SchemaVersion schema)
    {
        lock (_sync)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var slot = _activeSlot == 0 ? 1 : 0;
            var generation = _generation + 1;
            var crc = Crc32C.Compute(payload);

            var descriptor = _region.Pointer + SlotDescriptor(slot);
            var offset = Read<long>(descriptor, SlotOffsetOffset);
            var capacity = Read<long>(descriptor, SlotCapacityOffset);
            if (payload.Length > capacity)
            {
                // Never move or overwrite the active slot: a reader may be copying it right now.
                // The inactive slot moves to fresh space at the end of the file, which only grows.
                (offset, capacity) = Grow(Math.Max(capacity * 2, payload.Length));
                descriptor = _region.Pointer + SlotDescriptor(slot);
            }

            // Slot seqlock: a reader that saw this slot active earlier and is still copying it will
            // see the sequence change and discard its copy.
            var sequence = (ulong*)(descriptor + SlotSequenceOffset);
            var odd = SeqLock.BeginWrite(sequence);
            Write(descriptor, SlotOffsetOffset, offset);
            Write(descriptor, SlotCapacityOffset, capacity);
            payload.CopyTo(new Span<byte>(_region.Pointer + offset, payload.Length));
            Write(descriptor, SlotLengthOffset, (long)payload.Length);
            Write(descriptor, SlotCrcOffset, crc);
            Write(descriptor, SlotSchemaMajorOffset, schema.Major);
            Write(descriptor, SlotSchemaMinorOffset, schema.Minor);
            Write(descriptor, SlotGenerationOffset, generation);
            Write(descriptor, SlotWrittenAtOffset, _time.GetUtcNow().ToUnixTimeMilliseconds());
            SeqLock.EndWrite(sequence, odd);

            PublishHeader(slot, generation);
            _activeSlot = slot;
            _generation = generation;
            return generation;
        }
    }

    public void Dispose()
    {
        lock (_sync)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _region.Dispose();
            _stream.Dispose();
        }
    }

    /// <summary>
    /// Space for a slot that outgrew its own. A config that outgrows one slot outgrows the other at the
    /// next publish, so a growth takes the space for both: the other slot's half is reserved (and its
    /// pages touched) now, and that publish (typically the first change after a cold start) neither
    /// grows and remaps the file nor faults in fresh pages.
    /// </summary>
    private (long Offset, long Capacity) Grow(long needed)
    {
        var capacity = AlignUp(needed);
        if (_reserved is { } reserved && reserved.Capacity >= capacity)
        {
            _reserved = null;
            return reserved;
        }

        var offset = AlignUp(_region.Length);
        var reserve = (Offset: offset + capacity, Capacity: capacity);
        Remap(reserve.Offset + reserve.Capacity);
        for (var done = 0L; done < reserve.Capacity; done += int.MaxValue)
        {
            new Span<byte>(_region.Pointer + reserve.Offset + done, (int)Math.Min(int.MaxValue, reserve.Capacity - done)).Clear();
        }

        _reserved = reserve;
        return (offset, capacity);
    }

    /// <summary>Switches readers to <paramref name="slot"/> under the header seqlock.</summary>
    private void PublishHeader(int slot, long generation)
    {
        var header = _region.Pointer;
        var sequence = (ulong*)(header + HeaderSequenceOffset);
        var odd = SeqLock.BeginWrite(sequence);
        Write(header, ActiveSlotOffset, (uint)slot);
        Write(header, GenerationOffset, generation);
        SeqLock.EndWrite(sequence, odd);
    }

    private void Remap(long length)
    {
        // Grow first, then map: a mapping must never extend past the end of the file.
        _stream.SetLength(length);
        var grown = MappedRegion.Map(_stream, length, writable: true);
        _region.Dispose();
        _region = grown;
    }

    /// <summary>Continues a valid existing file; false when it must be re-initialised.</summary>
    private bool TryContinue()
    {
        var header = _region.Pointer;
        var fileLength = _region.Length;
        if (ChannelHeaderCheck.CheckFixedFields(new ReadOnlySpan<byte>(header, HeaderSize), fileLength, out _) is not null)
        {
            return false;
        }

        var active = Read<uint>(header, ActiveSlotOffset);
        if (active != NoActiveSlot && active >= SlotCount)
        {
            return false;
        }

        Span<long> starts = stackalloc long[SlotCount];
        Span<long> ends = stackalloc long[SlotCount];
        var generation = Math.Max(0, Read<long>(header, GenerationOffset));
        for (var slot = 0; slot < SlotCount; slot++)
        {
            var descriptor = header + SlotDescriptor(slot);
            var offset = Read<long>(descriptor, SlotOffsetOffset);
            var capacity = Read<long>(descriptor, SlotCapacityOffset);
            var length = Read<long>(descriptor, SlotLengthOffset);
            if (ChannelHeaderCheck.CheckSlotBounds(slot, offset, capacity, length, fileLength, out _) is not null
                || offset % Alignment != 0 || capacity == 0)
            {
                return false;
            }

            starts[slot] = offset;
            ends[slot] = offset + capacity;

            // A writer killed between writing a slot and publishing it leaves a slot generation
            // above the header's; never hand that number out again.
            generation = Math.Max(generation, Read<long>(descriptor, SlotGenerationOffset));
        }

        if (starts[0] < ends[1] && starts[1] < ends[0])
        {
            return false;
        }

        InstanceId = new Guid(new ReadOnlySpan<byte>(header + InstanceIdOffset, 16), bigEndian: true);
        _generation = generation;

        if ((Read<ulong>(header, HeaderSequenceOffset) & 1) != 0)
        {
            // The previous writer died while publishing; its header fields may be half written.
            RepairHeader();
        }
        else
        {
            _activeSlot = active == NoActiveSlot ? 1 : (int)active;
        }

        return true;
    }

    /// <summary>Points the header at the newest complete slot (or none) so readers can proceed.</summary>
    private void RepairHeader()
    {
        var best = -1;
        long bestGeneration = 0;
        for (var slot = 0; slot < SlotCount; slot++)
        {
            var descriptor = _region.Pointer + SlotDescriptor(slot);
            var generation = Read<long>(descriptor, SlotGenerationOffset);
            var complete = (Read<ulong>(descriptor, SlotSequenceOffset) & 1) == 0;
            var payload = new ReadOnlySpan<byte>(
                _region.Pointer + Read<long>(descriptor, SlotOffsetOffset),
                (int)Read<long>(descriptor, SlotLengthOffset));
            if (complete && generation > bestGeneration && Crc32C.Compute(payload) == Read<uint>(descriptor, SlotCrcOffset))
            {
                best = slot;
                bestGeneration = generation;
            }
        }

        var header = _region.Pointer;
        var sequence = (ulong*)(header + HeaderSequenceOffset);
        var odd = SeqLock.BeginWrite(sequence);
        Write(header, ActiveSlotOffset, best < 0 ? NoActiveSlot : (uint)best);
        Write(header, GenerationOffset, bestGeneration);
        SeqLock.EndWrite(sequence, odd);
        _activeSlot = best < 0 ? 1 : best;
    }

    /// <summary>
    /// Lays out a fresh header with a new instance id, so readers treat whatever follows as a new
    /// incarnation. The magic is cleared first and written last, so a reader never accepts a
    /// half-initialised header.
    /// </summary>
    private void Initialize()
    {
        if (_region.Length < MinimumFileLength)
        {
            Remap(MinimumFileLength);
        }

        var header = _region.Pointer;
        Volatile.Write(ref *(ulong*)(header + MagicOffset), 0UL);
        Interlocked.MemoryBarrier();

        var sequence = (ulong*)(header + HeaderSequenceOffset);
        var odd = SeqLock.BeginWrite(sequence);
        var slotSequences = stackalloc ulong[SlotCount];
        for (var slot = 0; slot < SlotCount; slot++)
        {
            // Keep sequences increasing across re-initialisation; a reader mid-copy must see a change.
            slotSequences[slot] = (Read<ulong>(header + SlotDescriptor(slot), SlotSequenceOffset) | 1) + 1;
        }

        new Span<byte>(header + 8, HeaderRegionSize - 8).Clear();
        Write(header, LayoutVersionOffset, LayoutVersion);
        Write(header, HeaderSizeOffset, (uint)HeaderSize);
        InstanceId = Guid.NewGuid();
        InstanceId.TryWriteBytes(new Span<byte>(header + InstanceIdOffset, 16), bigEndian: true, out _);
        Write(header, GenerationOffset, 0L);
        Write(header, ActiveSlotOffset, NoActiveSlot);
        for (var slot = 0; slot < SlotCount; slot++)
        {
            var descriptor = header + SlotDescriptor(slot);
            Write(descriptor, SlotSequenceOffset, slotSequences[slot]);
            Write(descriptor, SlotOffsetOffset, HeaderRegionSize + (slot * InitialSlotCapacity));
            Write(descriptor, SlotCapacityOffset, InitialSlotCapacity);
        }

        SeqLock.EndWrite(sequence, odd);
        Volatile.Write(ref *(ulong*)(header + MagicOffset), Magic);

        _generation = 0;
        _activeSlot = 1;
        WasInitialized = true;
    }

    private static T Read<T>(byte* baseAddress, int offset) where T : unmanaged => *(T*)(baseAddress + offset);

    private static void Write<T>(byte* baseAddress, int offset, T value) where T : unmanaged => *(T*)(baseAddress + offset) = value;
}
