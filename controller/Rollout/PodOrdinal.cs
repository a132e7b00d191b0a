using System.Globalization;

namespace Gatehouse.Controller.Rollout;

/// <summary>
/// A StatefulSet pod's ordinal, from the integer after the last '-' of its name ("gatehouse-2" → 2).
/// The same rule gives the &lt;n&gt; of a checksum id from an object's name.
/// </summary>
public static class PodOrdinal
{
    /// <summary>Returned for a name without a "-&lt;n&gt;" suffix; such a pod applies every change at once.</summary>
    public const int None = -1;

    public static int Parse(string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            return None;
        }

        var dash = name.LastIndexOf('-');
        return dash >= 0 && int.TryParse(name.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var ordinal)
            ? ordinal
            : None;
    }
}
