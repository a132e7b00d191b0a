using System.Globalization;
using Gatehouse.Serialization;

namespace Gatehouse.Benchmarks;

/// <summary>
/// `dotnet run -c Release -- sizes`: bytes per host on the wire (blob) and in the proxy's managed heap.
/// Heap figures are GC.GetTotalMemory(true) differences, so they include everything the live table
/// keeps reachable: the decoded config, the compiled routes and each backend's connection-pool client.
/// </summary>
internal static class SizeReport
{
    public static void Print(TextWriter output)
    {
        output.WriteLine("| hosts | blob bytes | blob B/host | decoded config B/host | + route table & backends B/host | total heap B/host |");
        output.WriteLine("|---:|---:|---:|---:|---:|---:|");
        foreach (var hosts in new[] { 1_000, 10_000, 100_000 })
        {
            var blob = ConfigSerializer.Serialize(ConfigGenerator.Generate(hosts));
            using var state = ProxyStates.Create();

            var before = GC.GetTotalMemory(forceFullCollection: true);
            var config = ConfigSerializer.Deserialize(blob);
            var decoded = GC.GetTotalMemory(forceFullCollection: true);
            var table = state.Apply(config);
            var built = GC.GetTotalMemory(forceFullCollection: true);
            GC.KeepAlive(table);
            GC.KeepAlive(blob);

            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {hosts:N0} | {blob.Length:N0} | {(double)blob.Length / hosts:F0} | {(double)(decoded - before) / hosts:F0} | {(double)(built - decoded) / hosts:F0} | {(double)(built - before) / hosts:F0} |"));
        }
    }
}
