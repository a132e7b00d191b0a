using System.Text.Json;
using Gatehouse.Channel;
using Gatehouse.Dump;
using Gatehouse.Dump.Diff;
using Gatehouse.Model;
using Gatehouse.Serialization;

// gatehouse-dump PATH [--json] [--show-secrets]
// gatehouse-dump PATH --diff [--json]
// Exit codes: 0 ok, 1 file unreadable or corrupt (or, with --diff, a slot has no valid blob), 2 usage.
string? path = null;
var asJson = false;
var showSecrets = false;
var diff = false;
foreach (var arg in args)
{
    switch (arg)
    {
        case "--json":
            asJson = true;
            break;
        case "--show-secrets":
            showSecrets = true;
            break;
        case "--diff":
            diff = true;
            break;
        case "-h" or "--help":
            Console.Out.WriteLine(UsageText);
            return 0;
        default:
            if (arg.StartsWith('-') || path is not null)
            {
                return Usage($"unexpected argument '{arg}'");
            }

            path = arg;
            break;
    }
}

if (path is null)
{
    return Usage("missing PATH");
}

if (diff && showSecrets)
{
    // A diff never prints keys, so asking for them is a mistake worth pointing out.
    return Usage("--diff never shows private keys; drop --show-secrets");
}

ChannelHeaderInfo header;
try
{
    header = ConfigChannelReader.ReadHeader(path);
}
catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
{
    return Fail($"{path}: no such file");
}
catch (ChannelFormatException ex)
{
    return Fail($"{path}: not a readable channel file ({ex.Reason}): {ex.Message}");
}
catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
{
    return Fail($"{path}: {ex.Message}");
}

if (diff)
{
    return SlotDiff.Run(path, header, asJson);
}

var (config, error) = header.ActiveSlot < 0 ? (null, null) : LoadConfig(path);

using (var stdout = Console.OpenStandardOutput())
{
    if (asJson)
    {
        using var json = new Utf8JsonWriter(stdout, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        json.WriteStartObject();
        json.WritePropertyName("header");
        HeaderJsonWriter.Write(json, header);
        json.WritePropertyName("config");
        WriteConfig(json, config, showSecrets);
        json.WriteEndObject();
        json.Flush();
        stdout.Write("\n"u8);
    }
    else
    {
        using var text = new StreamWriter(stdout, leaveOpen: true) { NewLine = "\n" };
        WriteHeaderText(text, header);
        text.Flush();
        if (config is not null)
        {
            using var json = new Utf8JsonWriter(stdout, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
            ConfigJsonWriter.Write(json, config, showSecrets);
            json.Flush();
            stdout.Write("\n"u8);
        }
        else if (error is null)
        {
            text.WriteLine("config: none published yet");
        }
    }
}

return error is null ? 0 : Fail(error);

// Goes through the reader so the payload is verified exactly as the proxy would verify it.
static (GatehouseConfig? Config, string? Error) LoadConfig(string path)
{
    using var reader = new ConfigChannelReader(path);
    var spinner = default(SpinWait);
    for (var attempt = 0; attempt < 200; attempt++, spinner.SpinOnce())
    {
        var result = reader.Poll();
        switch (result.Status)
        {
            case ChannelReadStatus.NewBlob:
                try
                {
                    return (ConfigSerializer.Deserialize(result.Blob!.Payload), null);
                }
                catch (Exception ex)
                {
                    // Whatever the codec throws, the tool reports it and exits 1 rather than crash.
                    return (null, $"{path}: generation {result.Blob!.Generation} does not decode as a config: {ex.Message}");
                }

            case ChannelReadStatus.Rejected:
                return (null, $"{path}: active slot rejected ({result.RejectReason}): {result.Detail}");

            case ChannelReadStatus.FileMissing:
                return (null, $"{path}: file disappeared");
        }

        // NoChange here means the writer was mid-publish (a torn read); try again.
    }

    return (null, $"{path}: could not get a consistent read of the active slot");
}

static void WriteConfig(Utf8JsonWriter json, GatehouseConfig? config, bool showSecrets)
{
    if (config is null)
    {
        json.WriteNullValue();
    }
    else
    {
        ConfigJsonWriter.Write(json, config, showSecrets);
    }
}

static void WriteHeaderText(TextWriter text, ChannelHeaderInfo header)
{
    text.WriteLine($"file:          {header.Path} ({header.FileLength} bytes)");
    text.WriteLine($"layout:        version {header.LayoutVersion}, header {header.HeaderSize} bytes");
    text.WriteLine($"instance id:   {header.InstanceId:D}");
    text.WriteLine($"generation:    {header.Generation}");
    text.WriteLine($"active slot:   {(header.ActiveSlot < 0 ? "none" : header.ActiveSlot.ToString(System.Globalization.CultureInfo.InvariantCulture))}");
    text.WriteLine($"header seq:    {header.HeaderSequence}");
    foreach (var slot in header.Slots)
    {
        text.WriteLine(
            $"slot {slot.Index}{(slot.IsActive ? " (active)" : "")}: offset={slot.Offset} capacity={slot.Capacity} length={slot.Length} "
            + $"generation={slot.Generation} crc={HeaderJsonWriter.FormatCrc(slot.Crc)} {(slot.CrcOk ? "ok" : "bad")} "
            + $"schema={slot.Schema} written-at={HeaderJsonWriter.FormatTime(slot.WrittenAt)} seq={slot.Sequence}");
    }
}

static int Fail(string message)
{
    Console.Error.WriteLine($"gatehouse-dump: {message}");
    return 1;
}

static int Usage(string problem)
{
    Console.Error.WriteLine($"gatehouse-dump: {problem}");
    Console.Error.WriteLine(UsageText);
    return 2;
}

internal static partial class Program
{
    private const string UsageText = "usage: gatehouse-dump PATH [--json] [--show-secrets]\n       gatehouse-dump PATH --diff [--json]";
}
