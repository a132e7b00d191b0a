using System.Text.Json.Nodes;

namespace Gatehouse.Tests.FakeApiServer;

/// <summary>
/// The selector subset the fake understands: field selectors "type", "metadata.name",
/// "metadata.namespace" with = and !=; label selectors "k=v", "k!=v", "k" and "!k", comma-separated.
/// </summary>
internal sealed class FakeSelectors
{
    private readonly List<Func<JsonObject, bool>> _tests = [];

    public FakeSelectors(string? fieldSelector, string? labelSelector)
    {
        foreach (var term in Split(fieldSelector))
        {
            var (key, value, negated) = ParseEquality(term) ?? throw new FormatException($"unsupported field selector '{term}'");
            var path = key.Split('.');
            _tests.Add(item => Lookup(item, path) is var actual && string.Equals(actual, value, StringComparison.Ordinal) != negated);
        }

        foreach (var term in Split(labelSelector))
        {
            if (ParseEquality(term) is var (key, value, negated))
            {
                _tests.Add(item => Label(item, key) is var actual && string.Equals(actual, value, StringComparison.Ordinal) != negated);
            }
            else if (term.StartsWith('!'))
            {
                _tests.Add(item => Label(item, term[1..]) is null);
            }
            else
            {
                _tests.Add(item => Label(item, term) is not null);
            }
        }
    }

    public bool Matches(JsonObject item) => _tests.TrueForAll(test => test(item));

    private static IEnumerable<string> Split(string? selector)
        => string.IsNullOrEmpty(selector) ? [] : selector.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

    private static (string Key, string Value, bool Negated)? ParseEquality(string term)
    {
        var notEquals = term.IndexOf("!=", StringComparison.Ordinal);
        if (notEquals > 0)
        {
            return (term[..notEquals], term[(notEquals + 2)..], true);
        }

        var equals = term.IndexOf('=', StringComparison.Ordinal);
        return equals > 0 ? (term[..equals], term[(equals + 1)..].TrimStart('='), false) : null;
    }

    private static string? Lookup(JsonObject item, string[] path)
    {
        JsonNode? node = item;
        foreach (var part in path)
        {
            node = node?[part];
        }

        return node is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;
    }

    private static string? Label(JsonObject item, string key) => (string?)item["metadata"]?["labels"]?[key];
}
