using System.Globalization;
using System.Text.Json;
using Gatehouse.Channel;

namespace Gatehouse.Dump;

/// <summary>Renders a <see cref="ChannelHeaderInfo"/> as the "header" object of --json output.</summary>
internal static class HeaderJsonWriter
{
    public static void Write(Utf8JsonWriter json, ChannelHeaderInfo header)
    {
        json.WriteStartObject();
        json.WriteString("path", header.Path);
        json.WriteNumber("fileLength", header.FileLength);
        json.WriteNumber("layoutVersion", header.LayoutVersion);
        json.WriteNumber("headerSize", header.HeaderSize);
        json.WriteString("instanceId", header.InstanceId.ToString("D"));
        json.WriteNumber("headerSequence", header.HeaderSequence);
        json.WriteNumber("generation", header.Generation);
        json.WriteNumber("activeSlot", header.ActiveSlot);
        json.WriteStartArray("slots");
        foreach (var slot in header.Slots)
        {
            json.WriteStartObject();
            json.WriteNumber("index", slot.Index);
            json.WriteBoolean("active", slot.IsActive);
            json.WriteNumber("sequence", slot.Sequence);
            json.WriteNumber("offset", slot.Offset);
            json.WriteNumber("capacity", slot.Capacity);
            json.WriteNumber("length", slot.Length);
            json.WriteNumber("generation", slot.Generation);
            json.WriteString("crc", FormatCrc(slot.Crc));
            json.WriteBoolean("crcOk", slot.CrcOk);
            json.WriteString("schema", slot.Schema.ToString());
            json.WriteString("writtenAt", FormatTime(slot.WrittenAt));
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    public static string FormatCrc(uint crc) => "0x" + crc.ToString("x8", CultureInfo.InvariantCulture);

    public static string FormatTime(DateTimeOffset time)
        => time.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
}
