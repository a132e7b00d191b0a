namespace Gatehouse.Proxy.Forwarding.Http1;

/// <summary>
/// One upstream connection's strings from its previous response head, offered to the next one: a
/// backend tends to send the same headers in the same order, so most of them repeat byte for byte.
/// Used by one response at a time (the connection's).
/// </summary>
internal sealed class ResponseHeaderStrings
{
    /// <summary>Headers outside <see cref="ResponseHeaderCopier"/>'s table whose strings are kept, by their order in the head.</summary>
    public const int OtherSlots = 8;

    /// <summary>Values of the table's headers, by their index in it.</summary>
    public string?[] KnownValues { get; } = new string?[ResponseHeaderCopier.KnownNameCount];

    /// <summary>Names of the other headers, the first in the head first (an echo's X-Echo-Name, an app's X-Powered-By).</summary>
    public string?[] OtherNames { get; } = new string?[OtherSlots];

    /// <summary>Their values, in the same slots.</summary>
    public string?[] OtherValues { get; } = new string?[OtherSlots];
}
