using System.Text.RegularExpressions;

namespace Gatehouse.Tests.EndToEnd.Infrastructure;

/// <summary>
/// Reads the proxy's log lines (texts from proxy/Configuration/ChannelConfigWatcher.cs), so tests
/// assert on what an operator would see rather than on internals.
/// </summary>
internal static partial class ProxyLog
{
    /// <summary>
    /// Every rejection the watcher logged: "Config channel rejected ({Reason}): …" for bad channel
    /// states and "Config generation N rejected ({Reason}): …" for blobs that failed to decode or compile.
    /// </summary>
    public static IReadOnlyList<string> Rejections(string output)
        => [.. Lines(output).Where(line => RejectionPattern().IsMatch(line))];

    /// <summary>The (generation, instance) of every "Applied config generation N (instance X)" line, in order.</summary>
    public static IReadOnlyList<(long Generation, Guid Instance)> Applied(string output)
        => [.. Lines(output)
            .Select(line => AppliedPattern().Match(line))
            .Where(match => match.Success)
            .Select(match => (long.Parse(match.Groups[1].Value), Guid.Parse(match.Groups[2].Value)))];

    private static IEnumerable<string> Lines(string output) => output.Split('\n');

    [GeneratedRegex(@"Config (channel|generation \d+) rejected \(")]
    private static partial Regex RejectionPattern();

    [GeneratedRegex(@"Applied config generation (\d+) \(instance ([0-9a-f-]{36})\)")]
    private static partial Regex AppliedPattern();
}
