using System.Text.Json;

namespace Gatehouse.Tests.MessagePack;

/// <summary>
/// Loads the msgpack-test-suite dataset that the test project's build fetches with npm
/// (see the FetchMsgpackTestSuite target). A missing file is an error, never a skip.
/// </summary>
internal static class MsgpackTestSuite
{
    private static readonly Lazy<IReadOnlyDictionary<string, JsonElement>> LazyCases = new(Load);

    public static string FilePath => Path.Combine(AppContext.BaseDirectory, "testdata", "msgpack-test-suite.json");

    /// <summary>Cases keyed "file.yaml#index", in dataset order.</summary>
    public static IReadOnlyDictionary<string, JsonElement> Cases => LazyCases.Value;

    public static TheoryData<string> CaseIds()
    {
        var data = new TheoryData<string>();
        foreach (var id in Cases.Keys)
        {
            data.Add(id);
        }

        return data;
    }

    /// <summary>The key naming the value's type; "bignum" wins over the approximate "number" next to it.</summary>
    public static string KindOf(JsonElement testCase)
    {
        if (testCase.TryGetProperty("bignum", out _))
        {
            return "bignum";
        }

        foreach (var property in testCase.EnumerateObject())
        {
            if (property.Name != "msgpack")
            {
                return property.Name;
            }
        }

        throw new InvalidDataException("Test case has no value key.");
    }

    public static byte[] Hex(string dashed) => Convert.FromHexString(dashed.Replace("-", "", StringComparison.Ordinal));

    private static Dictionary<string, JsonElement> Load()
    {
        if (!File.Exists(FilePath))
        {
            throw new FileNotFoundException(
                "msgpack-test-suite.json is missing; the test project's build should have fetched it with "
                + "'npm install msgpack-test-suite@1.0.0' into tests/.testdata. Is npm available?",
                FilePath);
        }

        using var document = JsonDocument.Parse(File.ReadAllBytes(FilePath));
        var cases = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var file in document.RootElement.EnumerateObject())
        {
            var index = 0;
            foreach (var testCase in file.Value.EnumerateArray())
            {
                cases.Add($"{file.Name}#{index++}", testCase.Clone());
            }
        }

        return cases;
    }
}
