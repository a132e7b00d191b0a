using System.Text;
using Gatehouse.Proxy.Http2.Hpack;

namespace Gatehouse.Tests.Http2.Hpack;

public sealed class HpackDynamicTableTests
{
    [Fact]
    public void EntriesAreNewestFirstAndEvictedOldestFirstThroughManyWraps()
    {
        // Each entry is 1 + 4 + 32 = 37 bytes: 10 fit in 370, so the ring wraps and grows while evicting.
        var table = new HpackDynamicTable(370);
        for (var i = 0; i < 1000; i++)
        {
            table.Insert("n"u8, Encoding.ASCII.GetBytes(i.ToString("D4")));

            var expectedCount = Math.Min(i + 1, 10);
            Assert.Equal(expectedCount, table.Count);
            Assert.Equal(expectedCount * 37, table.Size);
            for (var index = 1; index <= expectedCount; index++)
            {
                Assert.Equal((i + 1 - index).ToString("D4"), Encoding.ASCII.GetString(table.GetValue(index)));
            }
        }
    }

    [Fact]
    public void ShrinkingEvictsAndGrowingKeepsTheEntries()
    {
        var table = new HpackDynamicTable(4500);
        for (var i = 0; i < 100; i++)
        {
            table.Insert("name"u8, Encoding.ASCII.GetBytes($"value-{i:D3}"));
        }

        Assert.Equal(100, table.Count);
        Assert.Equal(100 * 45, table.Size);

        table.SetMaxSize(45 * 3 + 44);
        Assert.Equal(3, table.Count);
        Assert.Equal("value-099", Encoding.ASCII.GetString(table.GetValue(1)));
        Assert.Equal("value-097", Encoding.ASCII.GetString(table.GetValue(3)));

        table.SetMaxSize(8192);
        Assert.Equal(3, table.Count);
        for (var i = 0; i < 150; i++)
        {
            table.Insert("name"u8, Encoding.ASCII.GetBytes($"again-{i:D3}"));
        }

        Assert.Equal(153, table.Count);
        Assert.Equal("value-097", Encoding.ASCII.GetString(table.GetValue(153)));

        table.SetMaxSize(0);
        Assert.Equal(0, table.Count);
        Assert.Equal(0, table.Size);
    }

    [Fact]
    public void AnEntryOfExactlyTheMaxSizeFitsAndOneMoreEmptiesTheTable()
    {
        var table = new HpackDynamicTable(40);
        table.Insert("a"u8, "1234567"u8);
        Assert.Equal(1, table.Count);
        Assert.Equal(40, table.Size);

        table.Insert("a"u8, "12345678"u8);
        Assert.Equal(0, table.Count);
        Assert.Equal(0, table.Size);
    }

    [Fact]
    public void IndexesOutsideTheTableAreACallerError()
    {
        var table = new HpackDynamicTable(4096);
        table.Insert("a"u8, "b"u8);

        Assert.Throws<ArgumentOutOfRangeException>(() => table.GetName(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => table.GetValue(2));
    }
}
