using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Gatehouse.Controller.Kubernetes.Models;

/// <summary>
/// Kubernetes intstr.IntOrString: a value that is either a number or a string on the wire
/// (Service targetPort is "8080" the name or 8080 the number). It round-trips in the form it was written.
/// </summary>
[JsonConverter(typeof(IntOrStringJsonConverter))]
public readonly record struct IntOrString
{
    public IntOrString(int value)
    {
        IntValue = value;
    }

    public IntOrString(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        StringValue = value;
    }

    public int? IntValue { get; }

    public string? StringValue { get; }

    public bool IsInt => IntValue.HasValue;

    public override string ToString()
        => IntValue?.ToString(CultureInfo.InvariantCulture) ?? StringValue ?? "";
}

public sealed class IntOrStringJsonConverter : JsonConverter<IntOrString>
{
    public override IntOrString Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        => reader.TokenType switch
        {
            JsonTokenType.Number when reader.TryGetInt32(out var number) => new IntOrString(number),
            JsonTokenType.String => new IntOrString(reader.GetString()!),
            _ => throw new JsonException($"Expected an integer or a string, found {reader.TokenType}."),
        };

    public override void Write(Utf8JsonWriter writer, IntOrString value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (value.IntValue is { } number)
        {
            writer.WriteNumberValue(number);
        }
        else
        {
            writer.WriteStringValue(value.StringValue);
        }
    }
}
