using System.Buffers;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Gatehouse.Controller.Sources;

/// <summary>
/// Converts YAML documents to JSON so one System.Text.Json model serves both manifests and the API
/// server. Plain (unquoted) scalars are resolved with the YAML 1.2 core schema: null/~/empty → null,
/// true/false → bool, decimal/0x/0o integers and decimal floats → numbers; quoted scalars and anything
/// tagged !!str stay strings. Values directly under metadata.labels and metadata.annotations are always
/// strings: they are map[string]string in Kubernetes, and turning <c>is-default-class: true</c> into a
/// bool would only make the object fail to load.
/// </summary>
/// <remarks>
/// The parser's events are written straight to UTF-8 JSON, one document at a time, rather than loaded
/// into YamlDotNet's node graph for the whole stream first: a 100,000-Ingress file took 13 s that way,
/// most of it allocating and collecting the graph. Aliases replay the events recorded for their anchor,
/// so each use is converted in its own place (under labels or not), as the node graph did.
/// </remarks>
internal static class YamlJsonConverter
{
    private const int MaxDepth = 128;

    // Aliases can make a small document expand exponentially ("billion laughs"); a manifest with more
    // nodes than this is refused instead of exhausting memory.
    private const int MaxNodesPerDocument = 1_000_000;

    private const string StringTag = "tag:yaml.org,2002:str";

    // Keys of one mapping checked for duplicates by a scan of a reused list, before a set takes over.
    private const int ListedKeys = 16;

    private static readonly JsonWriterOptions WriterOptions = new()
    {
        // Read back by System.Text.Json only; escaping for HTML contexts would only cost time.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        SkipValidation = true,
    };

    /// <summary>Converts every non-empty document of the stream. Throws <see cref="YamlException"/> on syntax errors.</summary>
    public static List<JsonNode> ConvertDocuments(string yaml)
        => [.. ConvertDocumentsToUtf8(yaml).Select(json => JsonNode.Parse(json)!)];

    /// <summary>
    /// Converts every non-empty document of the stream to UTF-8 JSON. Throws <see cref="YamlException"/>
    /// on syntax errors, before returning anything: a file is read whole or not at all.
    /// </summary>
    /// <remarks>
    /// One thread per stream. Cutting a 30 MB stream at its document markers and converting the pieces
    /// on two cores was slower (5.5 against 4.4 s): YamlDotNet's scanner rents a StringBuilder from one
    /// static pool for every scalar, and the threads fought over it.
    /// </remarks>
    public static List<byte[]> ConvertDocumentsToUtf8(string yaml)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        var parser = new Parser(new StringReader(yaml));
        var buffer = new ArrayBufferWriter<byte>(4096);
        using var writer = new Utf8JsonWriter(buffer, WriterOptions);
        var documents = new List<byte[]>();
        var converter = new DocumentWriter(writer);

        parser.Consume<StreamStart>();
        while (!parser.TryConsume<StreamEnd>(out _))
        {
            parser.Consume<DocumentStart>();
            buffer.ResetWrittenCount();
            writer.Reset(buffer);
            if (converter.WriteDocument(parser))
            {
                writer.Flush();
                documents.Add(buffer.WrittenSpan.ToArray());
            }

            parser.Consume<DocumentEnd>();
        }

        return documents;
    }

    /// <summary>The conversion state of one stream: anchors (reset per document) and reusable key lists.</summary>
    private sealed class DocumentWriter(Utf8JsonWriter writer)
    {
        private readonly Dictionary<string, List<ParsingEvent>> _anchors = new(StringComparer.Ordinal);
        private readonly List<List<string>> _keysByDepth = [];
        private int _nodes;

        /// <summary>Writes the document's root node; false (nothing written) for an empty document.</summary>
        public bool WriteDocument(IParser parser)
        {
            _anchors.Clear();
            _nodes = 0;

            // "---" at the end of a file, or a document holding only comments, is an empty document.
            if (parser.Current is Scalar { Anchor.IsEmpty: true } scalar && Resolve(scalar, forceString: false) is null)
            {
                parser.MoveNext();
                return false;
            }

            WriteNode(parser, forceString: false, parentKey: null, grandParentKey: null, depth: 0);
            return true;
        }

        /// <param name="anchorTaken">The node's anchor (if any) is already registered: it is being written from its recording.</param>
        private void WriteNode(IParser parser, bool forceString, string? parentKey, string? grandParentKey, int depth, bool anchorTaken = false)
        {
            if (depth > MaxDepth)
            {
                var at = parser.Current!;
                throw new YamlException(at.Start, at.End, $"Nesting deeper than {MaxDepth} levels.");
            }

            if (++_nodes > MaxNodesPerDocument)
            {
                var at = parser.Current!;
                throw new YamlException(at.Start, at.End, $"Document expands to more than {MaxNodesPerDocument:N0} nodes (through aliases?).");
            }

            if (parser.TryConsume<AnchorAlias>(out var alias))
            {
                WriteNode(Replay(alias), forceString, parentKey, grandParentKey, depth, anchorTaken: true);
                return;
            }

            if (!anchorTaken && parser.Current is NodeEvent { Anchor.IsEmpty: false } anchored)
            {
                // Recorded whole, then written from the recording: an alias replays the same events.
                var events = Record(parser);
                _anchors[anchored.Anchor.Value] = events;
                WriteNode(new RecordedEvents(events), forceString, parentKey, grandParentKey, depth, anchorTaken: true);
                return;
            }

            if (parser.TryConsume<Scalar>(out var scalar))
            {
                WriteScalar(scalar, forceString);
            }
            else if (parser.TryConsume<SequenceStart>(out _))
            {
                writer.WriteStartArray();
                while (!parser.TryConsume<SequenceEnd>(out _))
                {
                    WriteNode(parser, forceString: false, parentKey: null, grandParentKey: null, depth + 1);
                }

                writer.WriteEndArray();
            }
            else if (parser.TryConsume<MappingStart>(out _))
            {
                WriteMapping(parser, parentKey, grandParentKey, depth);
            }
            else
            {
                var at = parser.Current!;
                throw new YamlException(at.Start, at.End, $"Unsupported YAML event {at.GetType().Name}.");
            }
        }

        private void WriteMapping(IParser parser, string? parentKey, string? grandParentKey, int depth)
        {
            var stringValues = parentKey is "labels" or "annotations" && grandParentKey == "metadata";
            while (_keysByDepth.Count <= depth)
            {
                _keysByDepth.Add([]);
            }

            // Nested mappings are one level deeper, so this level's list stays ours until the mapping ends.
            var keys = _keysByDepth[depth];
            keys.Clear();

            // Past a few keys (a Secret with thousands of entries) a set keeps the duplicate check linear.
            HashSet<string>? manyKeys = null;
            writer.WriteStartObject();
            while (!parser.TryConsume<MappingEnd>(out _))
            {
                var keyEvent = parser.Current!;
                var key = ReadKey(parser);
                if (manyKeys is null && keys.Count == ListedKeys)
                {
                    manyKeys = new HashSet<string>(keys, StringComparer.Ordinal);
                }

                if (manyKeys is null ? keys.Contains(key) : !manyKeys.Add(key))
                {
                    throw new YamlException(keyEvent.Start, keyEvent.End, $"Duplicate key '{key}'.");
                }

                if (manyKeys is null)
                {
                    keys.Add(key);
                }

                writer.WritePropertyName(key);
                WriteNode(parser, stringValues, key, parentKey, depth + 1);
            }

            writer.WriteEndObject();
        }

        private string ReadKey(IParser parser)
        {
            var start = parser.Current!;
            IParser source = parser;
            if (parser.TryConsume<AnchorAlias>(out var alias))
            {
                source = Replay(alias);
            }
            else if (start is Scalar { Anchor.IsEmpty: false } anchoredKey)
            {
                _anchors[anchoredKey.Anchor.Value] = [anchoredKey];
            }

            if (source.Current is Scalar key)
            {
                source.MoveNext();
                return key.Value;
            }

            throw new YamlException(start.Start, start.End, "Only scalar mapping keys are supported.");
        }

        private void WriteScalar(Scalar scalar, bool forceString)
        {
            switch (Resolve(scalar, forceString))
            {
                case null:
                    writer.WriteNullValue();
                    break;
                case string text:
                    writer.WriteStringValue(text);
                    break;
                case bool flag:
                    writer.WriteBooleanValue(flag);
                    break;
                case long integer:
                    writer.WriteNumberValue(integer);
                    break;
                case double real:
                    writer.WriteNumberValue(real);
                    break;
            }
        }

        private RecordedEvents Replay(AnchorAlias alias)
            => _anchors.TryGetValue(alias.Value.Value, out var events)
                ? new RecordedEvents(events)
                : throw new YamlException(alias.Start, alias.End, $"Alias *{alias.Value.Value} refers to no anchor before it.");

        /// <summary>Consumes one node (with everything under it) and returns its events.</summary>
        private List<ParsingEvent> Record(IParser parser)
        {
            var events = new List<ParsingEvent>();
            var open = 0;
            do
            {
                var current = parser.Current!;
                events.Add(current);
                open += current.NestingIncrease;
                if (events.Count > MaxNodesPerDocument)
                {
                    throw new YamlException(current.Start, current.End, $"Anchored node larger than {MaxNodesPerDocument:N0} events.");
                }

                parser.MoveNext();
            }
            while (open > 0);

            return events;
        }
    }

    /// <summary>Events recorded for an anchor, read again as a parser.</summary>
    private sealed class RecordedEvents(List<ParsingEvent> events) : IParser
    {
        private int _index;

        public ParsingEvent? Current => _index < events.Count ? events[_index] : null;

        public bool MoveNext() => ++_index < events.Count;
    }

    /// <summary>A scalar's JSON value: null, string, bool, long or double.</summary>
    private static object? Resolve(Scalar scalar, bool forceString)
    {
        var value = scalar.Value;
        var isPlain = scalar.Style is ScalarStyle.Plain or ScalarStyle.Any;
        var isStringTagged = !scalar.Tag.IsEmpty && scalar.Tag.Value == StringTag;
        if (forceString || !isPlain || isStringTagged)
        {
            return value;
        }

        switch (value)
        {
            case "" or "~" or "null" or "Null" or "NULL":
                return null;
            case "true" or "True" or "TRUE":
                return true;
            case "false" or "False" or "FALSE":
                return false;
        }

        if (TryParseInteger(value, out var integer))
        {
            return integer;
        }

        // Floats: only finite decimal forms; .inf/.nan have no JSON representation and stay strings.
        if (LooksLikeDecimalFloat(value)
            && double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var real)
            && double.IsFinite(real))
        {
            return real;
        }

        return value;
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
