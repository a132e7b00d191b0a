using System.Text.Json.Serialization;

namespace Gatehouse.Echo;

public sealed record EchoReply(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("method")] string Method,
    [property: JsonPropertyName("path")] string Path,
    [property: JsonPropertyName("query")] string Query,
    [property: JsonPropertyName("rawTarget")] string RawTarget,
    [property: JsonPropertyName("protocol")] string Protocol,
    [property: JsonPropertyName("remote")] string Remote,
    [property: JsonPropertyName("bodyBytes")] long BodyBytes,
    [property: JsonPropertyName("headers")] SortedDictionary<string, string> Headers);

[JsonSerializable(typeof(EchoReply))]
[JsonSourceGenerationOptions(WriteIndented = true)]
internal sealed partial class EchoJsonContext : JsonSerializerContext;
