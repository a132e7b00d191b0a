using System.Globalization;
using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Gatehouse.Controller.Sources;

/// <summary>
/// Converts YAML documents to <see cref="JsonNode"/> trees so one System.Text.Json model serves both
/// manifests and the API server. Plain (unquoted) scalars are resolved with the YAML 1.2 core schema:
/// null/~/empty → null, true/false → bool, decimal/0x/0o integers and decimal floats → numbers;
/// quoted scalars and anything tagged !!str stay strings. Values directly under metadata.labels and
/// metadata.annotations are always strings: they are map[string]string in Kubernetes, and turning
/// <c>is-default-class: true</c> into a bool would only make the object fail to load.
/// </summary>
internal static class YamlJsonConverter
{
    private const int MaxDepth = 128;
    private const string StringTag = "tag:yaml.org,2002:str";

    /// <summary>Converts every non-empty document of the stream. Throws <see cref="YamlException"/> on syntax errors.</summary>
    public static List<JsonNode> ConvertDocuments(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));

        var documents = new List<JsonNode>(stream.Documents.Count);
        foreach (var document in stream.Documents)
        {
            // "---" at the end of a file, or a document holding only comments, is an empty document.
            if (Convert(document.RootNode, forceString: false, parentKey: null, grandParentKey: null, depth: 0) is { } node)
            {
                documents.Add(node);
            }
        }

        return documents;
    }

    private static JsonNode? Convert(YamlNode node, bool forceString, string? parentKey, string? grandParentKey, int depth)
    {
        if (depth > MaxDepth)
        {
            throw new YamlException(node.Start, node.End, $"Nesting deeper than {MaxDepth} levels.");
        }

        switch (node)
        {
            case YamlScalarNode scalar:
                return ConvertScalar(scalar, forceString);

            case YamlSequenceNode sequence:
                var array = new JsonArray();
                foreach (var child in sequence.Children)
                {
                    array.Add(Convert(child, forceString: false, parentKey: null, grandParentKey: null, depth + 1));
                }

                return array;

            case YamlMappingNode mapping:
                var stringValues = parentKey is "labels" or "annotations" && grandParentKey == "metadata";
                var obj = new JsonObject();
                foreach (var (keyNode, valueNode) in mapping.Children)
                {
                    if (keyNode is not YamlScalarNode { Value: { } key })
                    {
                        throw new YamlException(keyNode.Start, keyNode.End, "Only scalar mapping keys are supported.");
                    }

                    if (obj.ContainsKey(key))
                    {
                        throw new YamlException(keyNode.Start, keyNode.End, $"Duplicate key '{key}'.");
                    }

                    obj[key] = Convert(valueNode, stringValues, key, parentKey, depth + 1);
                }

                return obj;

            default:
                throw new YamlException(node.Start, node.End, $"Unsupported YAML node {node.NodeType}.");
        }
    }

    private static JsonNode? ConvertScalar(YamlScalarNode scalar, bool forceString)
    {
        var value = scalar.Value ?? "";
        var isPlain = scalar.Style is ScalarStyle.Plain or ScalarStyle.Any;
        var isStringTagged = !scalar.Tag.IsEmpty && scalar.Tag.Value == StringTag;
        if (forceString || !isPlain || isStringTagged)
        {
            return JsonValue.Create(value);
        }

        switch (value)
        {
            case "" or "~" or "null" or "Null" or "NULL":
                return null;
            case "true" or "True" or "TRUE":
                return JsonValue.Create(true);
            case "false" or "False" or "FALSE":
                return JsonValue.Create(false);
        }

        if (TryParseInteger(value, out var integer))
        {
            return JsonValue.Create(integer);
        }

        // Floats: only finite decimal forms; .inf/.nan have no JSON representation and stay strings.
        if (LooksLikeDecimalFloat(value)
            && double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var real)
            && double.IsFinite(real))
        {
            return JsonValue.Create(real);
        }

        return JsonValue.Create(value);
    }

    private static bool TryParseInteger(string value, out long result)
    {
        result = 0;
        if (value.StartsWith("0x", StringComparison.Ordinal))
        {
            return value.Length > 2 && long.TryParse(value.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out result);
        }

        if (value.StartsWith("0o", StringComparison.Ordinal))
        {
            if (value.Length == 2)
            {
                return false;
            }

            foreach (var c in value.AsSpan(2))
            {
                if (c is < '0' or > '7' || result > (long.MaxValue >> 3))
                {
                    return false;
                }

                result = (result << 3) + (c - '0');
            }

            return true;
        }

        // [-+]?[0-9]+ only: no thousands separators, whitespace or exponents.
        var digits = value.AsSpan(value.Length > 0 && value[0] is '-' or '+' ? 1 : 0);
        if (digits.IsEmpty)
        {
            return false;
        }

        foreach (var c in digits)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
        }

        return long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out result);
    }

    private static bool LooksLikeDecimalFloat(string value)
    {
        // [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? — checked loosely: digits, one dot or exponent.
        var hasDigit = false;
        foreach (var c in value)
        {
            if (char.IsAsciiDigit(c))
            {
                hasDigit = true;
            }
            else if (c is not ('.' or 'e' or 'E' or '-' or '+'))
            {
                return false;
            }
        }

        return hasDigit;
    }
}
