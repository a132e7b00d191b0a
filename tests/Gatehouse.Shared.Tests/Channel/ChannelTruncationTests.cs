using System.Diagnostics;
using Gatehouse.Channel;
using Gatehouse.Model;
using static Gatehouse.Channel.ChannelLayout;

namespace Gatehouse.Tests.Channel;

/// <summary>
/// Something other than the writer truncates the file while the reader copies a payload. Copying
/// from a mapping would raise SIGBUS and kill the test host; the reader must survive and report.
/// </summary>
public sealed class ChannelTruncationTests : IDisposable
{
    /// <summary>Large enough that a copy takes milliseconds, so truncations land inside copies.</summary>
    private const int PayloadLength = 16 * 1024 * 1024;

    /// <summary>Polls whose copy a truncation cut short, needed to show the race was really run.</summary>
    private const int CutShortCopies = 3;

    private readonly TempDirectory _temp = new();
    private readonly string _path;

    public ChannelTruncationTests()
    {
        _path = _temp.File("run/config.bin");
    }

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task TruncatingTheFileDuringPayloadCopiesNeverCrashesTheReader()
    {
        var payload = new byte[PayloadLength];
        new Random(5).NextBytes(payload);
        using (var writer = ConfigChannelWriter.Open(_path))
        {
            writer.Publish(payload, new SchemaVersion(1, 0));
        }

        var fullLength = new FileInfo(_path).Length;
        using var stop = new CancellationTokenSource();

        // Shrinks the file to just past the header page (which stays valid) and grows it back, over
        // and over; the payload pages come back as zeros, so later copies that complete fail the CRC.
        var truncator = Task.Run(() =>
        {
            using var handle = File.OpenHandle(_path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
            while (!stop.IsCancellationRequested)
            {
                RandomAccess.SetLength(handle, HeaderRegionSize + Alignment);
                RandomAccess.SetLength(handle, fullLength);
            }
        });

        var outcomes = new Dictionary<string, int>();
        var deadline = Stopwatch.StartNew();
        try
        {
            while (outcomes.GetValueOrDefault("no_change") < CutShortCopies && deadline.Elapsed < TimeSpan.FromSeconds(20))
            {
                // A fresh reader has accepted nothing, so NoChange can only mean a torn (cut short) copy.
                using var reader = new ConfigChannelReader(_path);
                var result = reader.Poll();
                var key = result.Status switch
                {
                    ChannelReadStatus.NewBlob => "new_blob",
                    ChannelReadStatus.NoChange => "no_change",
                    ChannelReadStatus.Rejected => result.RejectReason!,
                    _ => result.Status.ToString(),
                };
                outcomes[key] = outcomes.GetValueOrDefault(key) + 1;
                if (result.Blob is { } blob)
                {
                    Assert.Equal(payload, blob.Payload);
                }
            }
        }
        finally
        {
            await stop.CancelAsync();
            await truncator;
        }

        var summary = string.Join(", ", outcomes.Select(o => $"{o.Key}={o.Value}"));
        Assert.True(outcomes.GetValueOrDefault("no_change") >= CutShortCopies, "no copy was cut short: " + summary);
        Assert.All(outcomes.Keys, key => Assert.Contains(key, new[] { "new_blob", "no_change", "crc", "bounds" }));
    }
}
