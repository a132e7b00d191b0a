using System.Text;
using Gatehouse.Proxy.Http2.Hpack;

namespace Gatehouse.Tests.Http2.Hpack;

public sealed class HpackStaticTableTests
{
    // A sample of RFC 7541 Appendix A; the Appendix C tests cover more indexes through real blocks.
    [Theory]
    [InlineData(1, ":authority", "")]
    [InlineData(2, ":method", "GET")]
    [InlineData(3, ":method", "POST")]
    [InlineData(5, ":path", "/index.html")]
    [InlineData(7, ":scheme", "https")]
    [InlineData(14, ":status", "500")]
    [InlineData(16, "accept-encoding", "gzip, deflate")]
    [InlineData(20, "access-control-allow-origin", "")]
    [InlineData(28, "content-length", "")]
    [InlineData(31, "content-type", "")]
    [InlineData(38, "host", "")]
    [InlineData(55, "set-cookie", "")]
    [InlineData(58, "user-agent", "")]
    [InlineData(61, "www-authenticate", "")]
    public void EntriesAreTheRfcs(int index, string name, string value)
    {
        Assert.Equal(name, Encoding.ASCII.GetString(HpackStaticTable.GetName(index)));
        Assert.Equal(value, Encoding.ASCII.GetString(HpackStaticTable.GetValue(index)));
    }

    [Fact]
    public void EveryNameIsFoundAtItsFirstIndexInAnyCase()
    {
        for (var index = 1; index <= HpackStaticTable.Count; index++)
        {
            var name = Encoding.ASCII.GetString(HpackStaticTable.GetName(index));
            var firstIndex = Enumerable.Range(1, index).First(i => HpackStaticTable.GetName(i).SequenceEqual(HpackStaticTable.GetName(index)));

            Assert.Equal(firstIndex, HpackStaticTable.FindName(name));
            Assert.Equal(firstIndex, HpackStaticTable.FindName(name.ToUpperInvariant()));
            Assert.Equal(firstIndex, HpackStaticTable.FindName(MixCase(name)));
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("x-request-id")]
    [InlineData("content-typf")]
    [InlineData("content-typ")]
    [InlineData("content-types")]
    [InlineData("\u001Amethod")]     // 0x1A | 0x20 is ':': the dispatch fold must not make it ":method"
    [InlineData("\u0131f-match")]    // dotless i: not ASCII, so not "if-match"
    [InlineData("lin\u212A")]         // Kelvin sign: not "link"
    [InlineData("cont\u00e9nt-type")]
    public void OtherNamesAreNotFound(string name) => Assert.Equal(0, HpackStaticTable.FindName(name));

    [Theory]
    [InlineData(":method", "GET", 2)]
    [InlineData(":METHOD", "POST", 3)]
    [InlineData(":path", "/index.html", 5)]
    [InlineData(":scheme", "http", 6)]
    [InlineData(":status", "304", 11)]
    [InlineData("Accept-Encoding", "gzip, deflate", 16)]
    [InlineData("age", "", 21)]
    [InlineData(":method", "get", 0)]
    [InlineData(":status", "201", 0)]
    [InlineData("content-type", "text/html", 0)]
    [InlineData("x-custom", "", 0)]
    public void FieldsMatchNameAndExactValue(string name, string value, int index) =>
        Assert.Equal(index, HpackStaticTable.FindField(name, value));

    [Fact]
    public void StatusCodesWithAnEntryAreFound()
    {
        for (var status = 100; status <= 999; status++)
        {
            var index = HpackStaticTable.FindStatus(status);
            Assert.Equal(HpackStaticTable.FindField(":status", status.ToString()), index);
        }

        Assert.Equal(8, HpackStaticTable.FindStatus(200));
    }

    [Fact]
    public void IndexesOutsideTheTableAreACallerError()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => HpackStaticTable.GetName(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => HpackStaticTable.GetValue(62));
    }

    private static string MixCase(string name) =>
        string.Concat(name.Select((c, i) => i % 2 == 0 ? char.ToUpperInvariant(c) : c));
}
