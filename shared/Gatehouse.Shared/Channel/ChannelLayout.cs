using System.Buffers.Binary;

namespace Gatehouse.Channel;

/// <summary>
/// Byte offsets and constants of the channel file, layout version 1. docs/channel.md is the
/// normative description; keep the two in sync. All integers are little-endian.
/// </summary>
internal static class ChannelLayout
{
    /// <summary>ASCII "GHCFGCHN" read as a little-endian 64-bit integer.</summary>
    public static readonly ulong Magic = BinaryPrimitives.ReadUInt64LittleEndian("GHCFGCHN"u8);

    public const uint LayoutVersion = 1;

    /// <summary>Bytes of header structure proper (fields and both slot descriptors).</summary>
    public const int HeaderSize = 256;

    /// <summary>
    /// The first slot starts at this offset so that payloads are page aligned and a header write
    /// never shares a page with payload bytes.
    /// </summary>
    public const int HeaderRegionSize = 4096;

    /// <summary>Slot capacities and offsets are multiples of this.</summary>
    public const int Alignment = 4096;

    public const long InitialSlotCapacity = 64 * 1024;

    /// <summary>Value of <see cref="ActiveSlotOffset"/> before anything was published.</summary>
    public const uint NoActiveSlot = uint.MaxValue;

    // Header fields.
    public const int MagicOffset = 0;              // u64
    public const int LayoutVersionOffset = 8;      // u32
    public const int HeaderSizeOffset = 12;        // u32
    public const int InstanceIdOffset = 16;        // 16 bytes, RFC 4122 (big-endian) byte order
    public const int HeaderSequenceOffset = 32;    // u64 seqlock
    public const int GenerationOffset = 40;        // i64
    public const int ActiveSlotOffset = 48;        // u32
    public const int SlotDescriptorsOffset = 64;
    public const int SlotDescriptorSize = 64;
    public const int SlotCount = 2;

    // Slot descriptor fields, relative to the descriptor.
    public const int SlotSequenceOffset = 0;       // u64 seqlock
    public const int SlotOffsetOffset = 8;         // u64 payload offset from file start
    public const int SlotCapacityOffset = 16;      // u64
    public const int SlotLengthOffset = 24;        // u64
    public const int SlotGenerationOffset = 32;    // i64
    public const int SlotWrittenAtOffset = 40;     // i64 unix ms
    public const int SlotCrcOffset = 48;           // u32 CRC-32C of the payload
    public const int SlotSchemaMajorOffset = 52;   // u16
    public const int SlotSchemaMinorOffset = 54;   // u16

    public static int SlotDescriptor(int slot) => SlotDescriptorsOffset + (slot * SlotDescriptorSize);

    public static long AlignUp(long value) => (value + Alignment - 1) & ~(long)(Alignment - 1);
}
