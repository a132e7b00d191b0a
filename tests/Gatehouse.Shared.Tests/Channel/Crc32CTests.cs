using System.Text;
using Gatehouse.Channel;

namespace Gatehouse.Tests.Channel;

public sealed class Crc32CTests
{
    [Theory]
    [InlineData("", 0x00000000u)]
    [InlineData("a", 0xC1D04330u)]
    [InlineData("abc", 0x364B3FB7u)]
    [InlineData("123456789", 0xE3069283u)]
    [InlineData("The quick brown fox jumps over the lazy dog", 0x22620404u)]
    public void KnownAsciiVectors(string text, uint expected)
    {
        var bytes = Encoding.ASCII.GetBytes(text);
        Assert.Equal(expected, Crc32C.Compute(bytes));
        Assert.Equal(expected, Crc32C.ComputeSoftware(bytes));
    }

    [Fact]
    public void Rfc3720Vectors()
    {
        // iSCSI (RFC 3720, B.4) test patterns.
        var zeros = new byte[32];
        var ones = Enumerable.Repeat((byte)0xFF, 32).ToArray();
        var ascending = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();
        var descending = Enumerable.Range(0, 32).Select(i => (byte)(31 - i)).ToArray();

        foreach (var compute in new Func<byte[], uint>[] { b => Crc32C.Compute(b), b => Crc32C.ComputeSoftware(b) })
        {
            Assert.Equal(0x8A9136AAu, compute(zeros));
            Assert.Equal(0x62A8AB43u, compute(ones));
            Assert.Equal(0x46DD794Eu, compute(ascending));
            Assert.Equal(0x113FDB5Cu, compute(descending));
        }
    }

    [Fact]
    public void HardwareAndSoftwareAgreeOnRandomData()
    {
        var random = new Random(12345);
        for (var length = 0; length < 600; length += 1 + (length / 16))
        {
            var data = new byte[length + 7];
            random.NextBytes(data);

            // Every alignment of the start, so the 8-byte hardware loop meets every tail length.
            for (var start = 0; start < 8 && start <= data.Length - length; start++)
            {
                var span = data.AsSpan(start, length);
                Assert.Equal(Crc32C.ComputeSoftware(span), Crc32C.Compute(span));
            }
        }

        var large = new byte[1 << 20];
        random.NextBytes(large);
        Assert.Equal(Crc32C.ComputeSoftware(large), Crc32C.Compute(large));
    }
}
