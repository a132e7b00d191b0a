using System.Text.Encodings.Web;
using System.Text.Json;
using Gatehouse.Channel;
using Gatehouse.Model;
using Gatehouse.Serialization;

namespace Gatehouse.Dump.Diff;

/// <summary>--diff: what changed from the other slot (the previous publish) to the active one.</summary>
internal static class SlotDiff
{
    private const int Attempts = 5;

    public static int Run(string path, ChannelHeaderInfo header, bool asJson)
    {
        try
        {
            return RunOnce(path, header, asJson);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ChannelFormatException)
        {
            // The file was replaced or damaged after the first header read.
            return Fail($"{path}: {ex.Message}");
        }
    }

    private static int RunOnce(string path, ChannelHeaderInfo header, bool asJson)
    {
        string? problem = null;
        for (var attempt = 0; attempt < Attempts; attempt++)
        {
            if (attempt > 0)
            {
                // The writer may have published between our header read and the slot reads; start over.
                header = ConfigChannelReader.ReadHeader(path);
            }

            if (header.ActiveSlot < 0)
            {
                return Fail($"{path}: nothing published yet, nothing to compare");
            }

            var to = header.Slots[header.ActiveSlot];
            var from = header.Slots[1 - header.ActiveSlot];
            var toBlob = SlotReader.TryRead(path, to, header.FileLength, out problem);
            if (toBlob is null)
            {
                continue;
            }

            var fromBlob = SlotReader.TryRead(path, from, header.FileLength, out problem);
            if (fromBlob is null)
            {
                if (from.Length == 0 || from.Generation <= 0)
                {
                    return Fail($"{path}: nothing to compare: {problem}");
                }

                continue;
            }

            GatehouseConfig fromConfig;
            GatehouseConfig toConfig;
            try
            {
                fromConfig = ConfigSerializer.Deserialize(fromBlob);
                toConfig = ConfigSerializer.Deserialize(toBlob);
            }
            catch (Exception ex)
            {
                // Whatever the codec throws (another major, malformed bytes), report it rather than crash.
                return Fail($"{path}: a slot does not decode as a config: {ex.Message}");
            }

            Write(ConfigDiffer.Compare(fromConfig, toConfig), from, to, asJson);
            return 0;
        }

        return Fail($"{path}: no consistent read of both slots: {problem}");
    }

    private static void Write(ConfigDiff diff, ChannelSlotInfo from, ChannelSlotInfo to, bool asJson)
    {
        using var stdout = Console.OpenStandardOutput();
        if (asJson)
        {
            using var json = new Utf8JsonWriter(stdout, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
            DiffJsonWriter.Write(json, from, to, diff);
            json.Flush();
            stdout.Write("\n"u8);
        }
        else
        {
            using var text = new StreamWriter(stdout, leaveOpen: true) { NewLine = "\n" };
            DiffTextWriter.Write(text, from, to, diff);
        }
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine($"gatehouse-dump: {message}");
        return 1;
    }
}
