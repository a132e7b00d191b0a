namespace Gatehouse.Proxy.Forwarding;

/// <summary>Header text kept as Latin-1 strings: one char per byte, so strings and wire bytes compare directly.</summary>
internal static class Latin1Text
{
    /// <summary>Ordinal comparison of a Latin-1 string with the bytes it would be written as.</summary>
    public static bool EqualsBytes(string text, ReadOnlySpan<byte> bytes)
    {
        if (text.Length != bytes.Length)
        {
            return false;
        }

        for (var i = 0; i < bytes.Length; i++)
        {
            if (text[i] != bytes[i])
            {
                return false;
            }
        }

        return true;
    }
}
