using Gatehouse.Proxy.Configuration;
using Gatehouse.Proxy.Forwarding;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gatehouse.Benchmarks;

/// <summary>The proxy's real apply path (backend registry + route table), without a server around it.</summary>
internal static class ProxyStates
{
    public static ProxyConfigState Create() => new(new ForwarderOptions(), NullLogger.Instance);
}
