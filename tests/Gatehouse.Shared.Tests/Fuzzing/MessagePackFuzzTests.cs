using System.Buffers;
using Gatehouse.MessagePack;
using Gatehouse.Serialization;
using Gatehouse.Tests.Serialization;
using Xunit.Abstractions;

namespace Gatehouse.Tests.Fuzzing;

/// <summary>
/// Property-based fuzzing of the MessagePack reader and the config decoder. Complements
/// MalformedInputTests (hand-picked encodings) and ConfigMutationTests (a small mutation loop) with
/// structured random inputs, richer mutations, an allocation bound and value-tree round trips.
/// </summary>
public sealed class MessagePackFuzzTests(ITestOutputHelper output)
{
    public const int RandomCases = 30_000;
    public const int MutationCases = 30_000;
    public const int AllocationCases = 5_000;
    public const int TreeCases = 15_000;

    /// <summary>
    /// Per input byte a failed decode may allocate: an 8-byte slot in an ImmutableArray builder plus the
    /// largest model object (BackendConfig, ~64 bytes) that a 1-byte empty map (0x80) produces,
    /// for each of the at most three array levels the schema nests (hosts/routes, backends/endpoints,
    /// certificates/hosts). Strings cost about 2 bytes per byte. The constant covers the exception,
    /// its message and stack trace, and the decoder's fixed overhead.
    /// </summary>
    private const int AllocationPerInputByte = 128;
    private const int AllocationConstant = 64 * 1024;

    private static readonly Lazy<byte[][]> Corpus = new(BuildCorpus);

    [Fact]
    public void RandomBytesRaiseOnlyDocumentedExceptions()
    {
        var outcomes = new int[3];
        var skipped = 0;
        FuzzRun.Cases(nameof(RandomBytesRaiseOnlyDocumentedExceptions), 1_001, RandomCases, (random, i) =>
        {
            var input = i % 2 == 0 ? FuzzInputs.Structured(random) : FuzzInputs.Uniform(random);
            skipped += FuzzInputs.Skip(input) ? 1 : 0;
            outcomes[(int)FuzzInputs.Decode(input)]++;
        });

        Assert.True(skipped > 1_000, $"only {skipped} inputs were a skippable value");
        Assert.True(outcomes[(int)DecodeOutcome.FormatError] > RandomCases / 2, "format errors should dominate");
        Assert.True(outcomes[(int)DecodeOutcome.Decoded] > 20, $"only {outcomes[(int)DecodeOutcome.Decoded]} random inputs decoded");
    }

    [Fact]
    public void MutatedBlobsRaiseOnlyDocumentedExceptions()
    {
        var corpus = Corpus.Value;
        var outcomes = new int[3];
        FuzzRun.Cases(nameof(MutatedBlobsRaiseOnlyDocumentedExceptions), 2_002, MutationCases, (random, i) =>
        {
            var blob = Mutator.Mutate(corpus[random.Next(corpus.Length)], corpus[random.Next(corpus.Length)], random);
            FuzzInputs.Skip(blob);
            outcomes[(int)FuzzInputs.Decode(blob)]++;
        });

        Assert.True(outcomes[(int)DecodeOutcome.Decoded] > 1_000, $"only {outcomes[(int)DecodeOutcome.Decoded]} mutants decoded");
        Assert.True(outcomes[(int)DecodeOutcome.FormatError] > 5_000, $"only {outcomes[(int)DecodeOutcome.FormatError]} format errors");
        Assert.True(outcomes[(int)DecodeOutcome.SchemaError] > 0, "no mutant reached ConfigSchemaException");
    }

    [Fact]
    public void FailedDecodeAllocatesAtMostLinearlyInItsInput()
    {
        var corpus = Corpus.Value;
        // The first exception of each kind loads resources and metadata; that is not the decoder's cost.
        FuzzInputs.Decode([0xc1]);
        FuzzInputs.Decode([0x81, 0xa6, .. "schema"u8, 0x92, 0x09, 0x00]);
        FuzzInputs.Decode(Mutator.Mutate(corpus[0], corpus[1], new Random(1)));

        var failures = 0;
        var worst = 0.0;
        FuzzRun.Cases(nameof(FailedDecodeAllocatesAtMostLinearlyInItsInput), 3_003, AllocationCases, (random, i) =>
        {
            var blob = i % 5 == 0
                ? Adversarial(random)
                : Mutator.Mutate(corpus[random.Next(corpus.Length)], corpus[random.Next(corpus.Length)], random);
            var before = GC.GetAllocatedBytesForCurrentThread();
            var outcome = FuzzInputs.Decode(blob);
            var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            if (outcome == DecodeOutcome.Decoded)
            {
                return;
            }

            failures++;
            worst = Math.Max(worst, (double)(allocated - AllocationConstant) / Math.Max(1, blob.Length));
            var limit = ((long)AllocationPerInputByte * blob.Length) + AllocationConstant;
            Assert.True(allocated <= limit, $"failed decode of {blob.Length} bytes allocated {allocated} (limit {limit}): {Convert.ToHexStringLower(blob)}");
        });

        output.WriteLine($"{failures} failed decodes; worst allocation beyond the constant: {worst:F1} bytes per input byte (limit {AllocationPerInputByte})");
        Assert.True(failures > AllocationCases / 2, $"only {failures} decodes failed");
    }

    [Fact]
    public void ValueTreesRoundTripThroughWriterAndReader()
    {
        FuzzRun.Cases(nameof(ValueTreesRoundTripThroughWriterAndReader), 4_004, TreeCases, (random, i) =>
        {
            var tree = PackValue.Random(random, random.Next(5));
            var encoded = Encode(tree);

            var reader = new MessagePackReader(encoded);
            var decoded = PackValue.Read(ref reader);
            Assert.True(reader.End, $"{encoded.Length - reader.Position} bytes left after {tree}");
            Assert.Equal(tree.ToString(), decoded.ToString());

            // The writer is canonical: what it reads back, it writes identically.
            Assert.Equal(Convert.ToHexStringLower(encoded), Convert.ToHexStringLower(Encode(decoded)));

            var skipper = new MessagePackReader(encoded);
            skipper.Skip();
            Assert.Equal(encoded.Length, skipper.Position);
        });
    }

    /// <summary>Inputs aimed at the allocation bound: long arrays of 1-byte empty maps and strings under every array key.</summary>
    private static byte[] Adversarial(Random random)
    {
        string[] keys = ["hosts", "backends", "certificates"];
        var count = random.Next(1, 3_000);
        var key = keys[random.Next(keys.Length)];
        var bytes = new List<byte> { 0x82, 0xa6 };
        bytes.AddRange("schema"u8.ToArray());
        bytes.AddRange([0x92, 0x01, 0x00, (byte)(0xa0 | key.Length)]);
        bytes.AddRange(System.Text.Encoding.ASCII.GetBytes(key));
        bytes.AddRange([0xdd, (byte)(count >> 24), (byte)(count >> 16), (byte)(count >> 8), (byte)count]);
        var element = key == "certificates"
            ? new byte[] { 0x81, 0xa5, (byte)'h', (byte)'o', (byte)'s', (byte)'t', (byte)'s', 0x91, 0xa1, (byte)'x' }
            : random.Next(2) == 0 ? [0x80] : [0x81, 0xa1, (byte)'x', 0xa1, (byte)'y'];
        var present = random.Next(count);
        for (var i = 0; i < present; i++)
        {
            bytes.AddRange(element);
        }

        // Ends early or in garbage, so the decode fails after building as much as the input allows.
        if (random.Next(2) == 0)
        {
            bytes.Add(0xc1);
        }

        return [.. bytes];
    }

    private static byte[] Encode(PackValue value)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new MessagePackWriter(buffer);
        value.Write(ref writer);
        return buffer.WrittenSpan.ToArray();
    }

    private static byte[][] BuildCorpus()
    {
        var corpus = new List<byte[]>
        {
            ConfigSerializer.Serialize(TestConfigs.Small()),
            ConfigSerializer.Serialize(TestConfigs.Large(20)),
            ConfigSerializer.Serialize(Gatehouse.Model.GatehouseConfig.Empty),
        };
        var random = new Random(5_005);
        for (var i = 0; i < 13; i++)
        {
            corpus.Add(ConfigSerializer.Serialize(RandomConfigs.Config(random)));
        }

        return [.. corpus];
    }
}
