using System.Diagnostics;
using Gatehouse.Channel;
using Gatehouse.ChannelStress;
using Gatehouse.Model;

// gatehouse-channel-stress write PATH (--count N | --until-generation N)
// gatehouse-channel-stress read PATH --until-generation N [--timeout-seconds S]
if (args.Length != 4 && args.Length != 6)
{
    return Usage();
}

var path = args[1];
switch (args[0])
{
    case "write" when args[2] is "--count" or "--until-generation" && long.TryParse(args[3], out var number) && number > 0:
    {
        var stopwatch = Stopwatch.StartNew();
        using var writer = ConfigChannelWriter.Open(path);
        var first = writer.Generation + 1;
        var last = args[2] == "--count" ? first + number - 1 : number;
        for (var generation = first; generation <= last; generation++)
        {
            var published = writer.Publish(StressPayload.Create(generation), SchemaVersion.Current);
            if (published != generation)
            {
                Console.Error.WriteLine($"writer: expected to publish {generation}, got {published}");
                return 1;
            }
        }

        Console.WriteLine($"writer: published generations {first}..{writer.Generation} of instance {writer.InstanceId} in {stopwatch.ElapsedMilliseconds} ms");
        return 0;
    }

    case "read" when args[2] == "--until-generation" && long.TryParse(args[3], out var until):
    {
        var timeout = TimeSpan.FromSeconds(120);
        if (args.Length == 6)
        {
            if (args[4] != "--timeout-seconds" || !int.TryParse(args[5], out var seconds))
            {
                return Usage();
            }

            timeout = TimeSpan.FromSeconds(seconds);
        }

        return Read(path, until, timeout);
    }

    default:
        return Usage();
}

static int Read(string path, long until, TimeSpan timeout)
{
    var stopwatch = Stopwatch.StartNew();
    using var reader = new ConfigChannelReader(path);
    long polls = 0, accepted = 0, last = 0, rejected = 0;
    Guid? instance = null;
    while (last < until)
    {
        if (stopwatch.Elapsed > timeout)
        {
            Console.Error.WriteLine($"reader: timed out after {polls} polls at generation {last}");
            return 3;
        }

        polls++;
        var result = reader.Poll();
        switch (result.Status)
        {
            case ChannelReadStatus.NewBlob:
                var blob = result.Blob!;
                if (instance is { } known && known != blob.InstanceId)
                {
                    Console.Error.WriteLine($"reader: instance changed from {known} to {blob.InstanceId}");
                    return 1;
                }

                if (blob.Generation <= last)
                {
                    Console.Error.WriteLine($"reader: generation {blob.Generation} after {last}");
                    return 1;
                }

                if (StressPayload.Verify(blob.Generation, blob.Payload) is { } problem)
                {
                    Console.Error.WriteLine($"reader: MISMATCH at generation {blob.Generation}: {problem}");
                    return 1;
                }

                instance = blob.InstanceId;
                last = blob.Generation;
                accepted++;
                break;

            case ChannelReadStatus.Rejected:
                // A correct writer never produces a state the reader must reject.
                rejected++;
                Console.Error.WriteLine($"reader: rejected ({result.RejectReason}): {result.Detail}");
                return 1;

            default:
                Thread.SpinWait(20);
                break;
        }
    }

    Console.WriteLine($"reader: ok last={last} accepted={accepted} rejected={rejected} polls={polls} elapsed_ms={stopwatch.ElapsedMilliseconds}");
    return last == until ? 0 : 1;
}

static int Usage()
{
    Console.Error.WriteLine("usage: gatehouse-channel-stress write PATH (--count N | --until-generation N)");
    Console.Error.WriteLine("       gatehouse-channel-stress read PATH --until-generation N [--timeout-seconds S]");
    return 2;
}
