namespace Gatehouse.Tests.Http2.Hpack;

/// <summary>Hex as the RFC prints it ("8286 8441 ..."): whitespace between groups is ignored.</summary>
internal static class Hex
{
    public static byte[] Bytes(string hex) => Convert.FromHexString(string.Concat(hex.Where(c => !char.IsWhiteSpace(c))));
}
