using Gatehouse.Model;

namespace Gatehouse.Controller.Publishing;

/// <summary>Where configs go. The seam between deciding to publish and the memory-mapped channel.</summary>
public interface IConfigSink
{
    /// <summary>The generation most recently published (0 if none yet).</summary>
    long Generation { get; }

    /// <summary>
    /// The config the sink already held when it was opened (a previous controller's last publish),
    /// or null if none or unreadable. Lets a restarted controller skip republishing the same content.
    /// </summary>
    GatehouseConfig? Existing => null;

    /// <summary>
    /// Publishes <paramref name="config"/> and returns the generation it was published as. A set
    /// <see cref="GatehouseConfig.ConfigHash"/> is the publisher's hash of the content (saving an encoding).
    /// </summary>
    long Publish(GatehouseConfig config);

    /// <summary>
    /// Like <see cref="Publish(GatehouseConfig)"/>, with the config's canonical encoding
    /// (<see cref="Serialization.ConfigHash.Canonical(GatehouseConfig)"/>) already made, which a sink may reuse rather
    /// than encode again. <paramref name="canonical"/> is the publisher's buffer: valid only during the call.
    /// </summary>
    long Publish(GatehouseConfig config, ReadOnlyMemory<byte> canonical) => Publish(config);
}
