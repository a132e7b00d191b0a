using System.Globalization;
using System.Text;

namespace Gatehouse.Proxy.Http1;

/// <summary>
/// The "Date: ...\r\n" line every response carries (RFC 9110 6.6.1), formatted once a second and shared,
/// not per response.
/// </summary>
internal static class Http1DateHeader
{
    private static byte[] s_line = Format(DateTimeOffset.UtcNow);
    private static long s_second = Environment.TickCount64 / 1000;

    public static ReadOnlySpan<byte> Line
    {
        get
        {
            var second = Environment.TickCount64 / 1000;
            if (second != Volatile.Read(ref s_second))
            {
                // Any thread may refresh it; a reader sees the old array or the new one, both whole.
                Volatile.Write(ref s_line, Format(DateTimeOffset.UtcNow));
                Volatile.Write(ref s_second, second);
            }

            return Volatile.Read(ref s_line);
        }
    }

    private static byte[] Format(DateTimeOffset now)
        => Encoding.ASCII.GetBytes("Date: " + now.ToString("r", CultureInfo.InvariantCulture) + "\r\n");
}
