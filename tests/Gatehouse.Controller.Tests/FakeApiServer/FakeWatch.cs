using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Tests.FakeApiServer;

/// <summary>One open watch connection: what it selects, and the lines still to write to it.</summary>
internal sealed class FakeWatch(string resource, string? @namespace, FakeSelectors selectors, HttpContext context)
{
    public string Resource { get; } = resource;

    public HttpContext Context { get; } = context;

    /// <summary>Unbounded: the store never blocks on a slow watcher (the real server would drop it instead).</summary>
    public Channel<string> Lines { get; } = System.Threading.Channels.Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });

    public bool Matches(string resource, JsonObject item)
        => string.Equals(resource, Resource, StringComparison.Ordinal)
            && (@namespace is null || string.Equals((string?)item["metadata"]?["namespace"], @namespace, StringComparison.Ordinal))
            && selectors.Matches(item);
}
