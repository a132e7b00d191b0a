using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Tests.FakeApiServer;

/// <summary>One open watch connection: what it selects, and the lines still to write to it.</summary>
internal sealed class FakeWatch(string resource, string? @namespace, FakeSelectors selectors, HttpContext context)
{
    public string Resource { get; } = resource;

    private readonly Lock _gate = new();
    private bool _ended;

    public HttpContext Context { get; } = context;

    /// <summary>
    /// Cuts the connection if the watch request is still running. A finished request's HttpContext is
    /// recycled by Kestrel, so it must never be touched after <see cref="End"/>.
    /// </summary>
    public void Abort()
    {
        lock (_gate)
        {
            if (!_ended)
            {
                Context.Abort();
            }
        }
    }

    /// <summary>Called by the handler as its request finishes.</summary>
    public void End()
    {
        lock (_gate)
        {
            _ended = true;
        }
    }

    /// <summary>Unbounded: the store never blocks on a slow watcher (the real server would drop it instead).</summary>
    public Channel<string> Lines { get; } = System.Threading.Channels.Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });

    public bool Matches(string resource, JsonObject item)
        => string.Equals(resource, Resource, StringComparison.Ordinal)
            && (@namespace is null || string.Equals((string?)item["metadata"]?["namespace"], @namespace, StringComparison.Ordinal))
            && selectors.Matches(item);
}
