using System.Buffers;
using Gatehouse.Channel;
using Gatehouse.Model;
using Gatehouse.Serialization;

namespace Gatehouse.Controller.Publishing;

/// <summary>Publishes configs through the double-buffered memory-mapped file the proxy reads.</summary>
public sealed class ChannelConfigSink : IConfigSink, IDisposable
{
    private readonly ConfigChannelWriter _writer;
    private readonly SchemaVersion _schema;
    private readonly string _publishedBy;

    // Reused for every stamped payload: it is copied into the channel before Publish returns.
    private readonly ArrayBufferWriter<byte> _stamped = new();

    /// <param name="schema">Schema to publish (--channel-schema); must be writable by this build.</param>
    /// <param name="publishedBy">Written as published_by (schema 1.1+), e.g. "gatehouse-controller 1.4.0".</param>
    public ChannelConfigSink(string path, SchemaVersion schema, string publishedBy)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentException.ThrowIfNullOrEmpty(publishedBy);
        if (!ConfigSerializer.CanWrite(schema))
        {
            throw new ArgumentException($"Cannot publish schema {schema}.", nameof(schema));
        }

        _schema = schema;
        _publishedBy = publishedBy;
        _writer = ConfigChannelWriter.Open(path);
        Existing = _writer.Generation > 0 ? ReadExisting(path) : null;
    }

    public GatehouseConfig? Existing { get; }

    /// <summary>"gatehouse-controller VERSION" from this assembly's informational version.</summary>
    public static string DefaultPublishedBy { get; } = "gatehouse-controller " + (
        typeof(ChannelConfigSink).Assembly
            .GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), inherit: false)
            .OfType<System.Reflection.AssemblyInformationalVersionAttribute>()
            .FirstOrDefault()?.InformationalVersion
        ?? typeof(ChannelConfigSink).Assembly.GetName().Version?.ToString()
        ?? "unknown");

    public long Generation => _writer.Generation;

    public long Publish(GatehouseConfig config, ReadOnlyMemory<byte> canonical)
    {
        ArgumentNullException.ThrowIfNull(config);

        // At the current schema the blob is the canonical bytes plus published_by and config_hash.
        if (_schema == SchemaVersion.Current && config.ConfigHash is { } hash
            && ConfigSerializer.TryStamp(canonical.Span, _publishedBy, hash, _stamped))
        {
            return _writer.Publish(_stamped.WrittenSpan, _schema);
        }

        return Publish(config);
    }

    public long Publish(GatehouseConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);

        // The channel assigns the generation; the payload always carries 0 so it depends only on content.
        // The publisher passes the hash it computed from the bytes it compared; anyone else gets it computed.
        var stamped = config with { Generation = 0, PublishedBy = _publishedBy, ConfigHash = config.ConfigHash ?? ConfigHash.Compute(config) };
        var payload = ConfigSerializer.Serialize(stamped, _schema);
        return _writer.Publish(payload, _schema);
    }

    public void Dispose() => _writer.Dispose();

    private static GatehouseConfig? ReadExisting(string path)
    {
        // Anything but a clean, decodable blob means "unknown": the first pass then publishes as before.
        using var reader = new ConfigChannelReader(path);
        var result = reader.Poll();
        if (result.Status != ChannelReadStatus.NewBlob)
        {
            return null;
        }

        try
        {
            return ConfigSerializer.Deserialize(result.Blob!.Payload);
        }
        catch (Exception ex) when (ex is FormatException or ConfigSchemaException)
        {
            return null;
        }
    }
}
