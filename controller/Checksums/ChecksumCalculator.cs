using System.Buffers;
using System.Security.Cryptography;
using System.Text;

namespace Gatehouse.Controller.Checksums;

/// <summary>Tengine-Ingress's checksum of a set of ids: sorted as strings (ordinal), joined with ",", MD5 in lower-case hex.</summary>
public static class ChecksumCalculator
{
    public static string[] Sort(IEnumerable<string> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var sorted = ids.ToArray();
        Array.Sort(sorted, StringComparer.Ordinal);
        return sorted;
    }

    /// <summary>The comma-joined list, as a CR's spec.ids carries it.</summary>
    public static string Join(IReadOnlyList<string> sortedIds) => string.Join(',', sortedIds);

    /// <param name="sortedIds">Ids already in ordinal order (see <see cref="Sort"/>).</param>
    public static string Md5(IReadOnlyList<string> sortedIds)
    {
        ArgumentNullException.ThrowIfNull(sortedIds);

        // Hash incrementally: 100,000 ids would otherwise build a megabyte string just to hash it.
        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        var buffer = ArrayPool<byte>.Shared.Rent(256);
        try
        {
            for (var i = 0; i < sortedIds.Count; i++)
            {
                if (i > 0)
                {
                    md5.AppendData(","u8);
                }

                var id = sortedIds[i];
                var length = Encoding.UTF8.GetMaxByteCount(id.Length);
                if (length > buffer.Length)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = ArrayPool<byte>.Shared.Rent(length);
                }

                var written = Encoding.UTF8.GetBytes(id, buffer);
                md5.AppendData(buffer, 0, written);
            }

            return Convert.ToHexStringLower(md5.GetHashAndReset());
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
