using Gatehouse.Channel;

namespace Gatehouse.Proxy.Configuration;

/// <summary>Where the watcher gets config blobs from; the channel file in production, a fake in tests.</summary>
internal interface IConfigBlobSource : IDisposable
{
    /// <summary>Same contract as <see cref="ConfigChannelReader.Poll"/>: never blocks, reports each bad state once.</summary>
    ChannelReadResult Poll();
}
