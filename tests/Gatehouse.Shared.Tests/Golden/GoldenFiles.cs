extern alias dump;

using System.Text.Encodings.Web;
using System.Text.Json;
using ConfigJsonWriter = dump::Gatehouse.Dump.ConfigJsonWriter;
using Gatehouse.Model;
using Gatehouse.Serialization;

namespace Gatehouse.Tests.Golden;

/// <summary>
/// Layout of tests/golden/: one directory per shipped schema, "schema-MAJOR.MINOR", holding
/// config.msgpack (<see cref="GoldenConfig"/> written as that schema) and expected.json (what the
/// build that made it decoded, rendered by gatehouse-dump's ConfigJsonWriter with secrets shown).
/// </summary>
internal static class GoldenFiles
{
    public const string Blob = "config.msgpack";
    public const string Expected = "expected.json";
    public const string Prefix = "schema-";

    /// <summary>The copies next to the test assembly (the project copies tests/golden/** there).</summary>
    public static string CopiedRoot => Path.Combine(AppContext.BaseDirectory, "golden");

    public static SchemaVersion VersionOf(string directory)
        => SchemaVersion.Parse(Path.GetFileName(directory)[Prefix.Length..]);

    public static string RenderJson(GatehouseConfig config)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            ConfigJsonWriter.Write(json, config, showSecrets: true);
        }

        return System.Text.Encoding.UTF8.GetString(stream.ToArray()).ReplaceLineEndings("\n") + "\n";
    }

    /// <summary>
    /// Writes the golden files for <paramref name="version"/> under <paramref name="root"/>. Only
    /// for a schema that has none yet: existing goldens are history and are never rewritten.
    /// </summary>
    public static string Create(string root, SchemaVersion version)
    {
        var directory = Path.Combine(root, Prefix + version);
        if (Directory.Exists(directory))
        {
            throw new InvalidOperationException($"{directory} exists; shipped goldens are never regenerated.");
        }

        var blob = ConfigSerializer.Serialize(GoldenConfig.Create(), version);
        Directory.CreateDirectory(directory);
        File.WriteAllBytes(Path.Combine(directory, Blob), blob);
        File.WriteAllText(Path.Combine(directory, Expected), RenderJson(ConfigSerializer.Deserialize(blob)));
        return directory;
    }
}
