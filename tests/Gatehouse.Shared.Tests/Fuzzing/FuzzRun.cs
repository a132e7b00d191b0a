using System.Globalization;

namespace Gatehouse.Tests.Fuzzing;

/// <summary>
/// Runs a property over many cases, each with its own <see cref="Random"/> derived from a fixed base
/// seed and the case index, so any failure is reproducible on its own: the message names the base
/// seed and case, and GATEHOUSE_FUZZ_SEED reruns the whole property with another base seed.
/// Plain seeded System.Random generators rather than FsCheck: the inputs are byte strings and
/// span-based readers (ref structs), which FsCheck's Arbitrary/Prop machinery cannot capture.
/// </summary>
internal static class FuzzRun
{
    public static int BaseSeed(int defaultSeed)
    {
        var text = Environment.GetEnvironmentVariable("GATEHOUSE_FUZZ_SEED");
        return text is null ? defaultSeed : int.Parse(text, CultureInfo.InvariantCulture);
    }

    /// <summary>The per-case seed: a fixed mix of base seed and index, stable across runtimes.</summary>
    public static int CaseSeed(int baseSeed, int index)
    {
        unchecked
        {
            var x = (uint)baseSeed * 0x9E3779B1u ^ (uint)index * 0x85EBCA77u;
            x ^= x >> 15;
            x *= 0x2C1B3C6Du;
            x ^= x >> 12;
            return (int)(x & int.MaxValue);
        }
    }

    /// <summary>Calls <paramref name="property"/> for cases 0..count-1; the first failure fails the test with its seed.</summary>
    public static void Cases(string name, int defaultSeed, int count, Action<Random, int> property)
    {
        var baseSeed = BaseSeed(defaultSeed);
        for (var i = 0; i < count; i++)
        {
            var caseSeed = CaseSeed(baseSeed, i);
            try
            {
                property(new Random(caseSeed), i);
            }
            catch (Exception e)
            {
                throw new FuzzFailureException(
                    $"{name}: case {i} failed (base seed {baseSeed}, case seed {caseSeed}; rerun with GATEHOUSE_FUZZ_SEED={baseSeed})", e);
            }
        }
    }
}
