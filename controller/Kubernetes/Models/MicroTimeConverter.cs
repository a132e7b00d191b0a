using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Gatehouse.Controller.Kubernetes.Models;

/// <summary>
/// metav1.MicroTime: RFC 3339 in UTC with exactly six fractional digits, the form the API server
/// validates on Lease and events.k8s.io times. Reading accepts any RFC 3339 time.
/// </summary>
public sealed class MicroTimeConverter : JsonConverter<DateTimeOffset?>
{
    public override bool HandleNull => false;

    public override DateTimeOffset? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        => reader.TokenType == JsonTokenType.Null ? null : DateTimeOffset.Parse(reader.GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);

    public override void Write(Utf8JsonWriter writer, DateTimeOffset? value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (value is { } time)
        {
            writer.WriteStringValue(time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture));
        }
        else
        {
            writer.WriteNullValue();
        }
    }
}
