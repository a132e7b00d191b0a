using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Gatehouse.Controller.Kubernetes.Models;

/// <summary>metav1.Time: RFC 3339 in UTC to the second, as the API server writes it. Reading accepts any RFC 3339 time.</summary>
public sealed class TimeConverter : JsonConverter<DateTimeOffset?>
{
    public override bool HandleNull => false;

    public override DateTimeOffset? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        => reader.TokenType == JsonTokenType.Null ? null : DateTimeOffset.Parse(reader.GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);

    public override void Write(Utf8JsonWriter writer, DateTimeOffset? value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (value is { } time)
        {
            writer.WriteStringValue(time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
        }
        else
        {
            writer.WriteNullValue();
        }
    }
}
