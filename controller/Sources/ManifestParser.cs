using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Gatehouse.Controller.Kubernetes.Models;
using YamlDotNet.Core;

namespace Gatehouse.Controller.Sources;

/// <summary>Result of reading one manifest file: the objects it defines and what was skipped.</summary>
public sealed record ManifestParseResult(
    IReadOnlyList<KubernetesObject> Objects,
    IReadOnlyList<ManifestProblem> Problems,
    IReadOnlyList<string> IgnoredKinds);

/// <summary>
/// Turns the text of a manifest file into typed Kubernetes objects. One bad document or list item is
/// reported and skipped without affecting its siblings; a syntax error loses the whole file because
/// the YAML parser cannot resynchronise reliably after one.
/// </summary>
public static class ManifestParser
{
    public const string DefaultNamespace = "default";

    private static readonly JsonDocumentOptions JsonOptions = new()
    {
        AllowTrailingCommas = true,
        CommentHandling = JsonCommentHandling.Skip,
        AllowDuplicateProperties = false,
    };

    // What the YAML converter writes: no comments or trailing commas to allow, no duplicate keys left.
    private static readonly JsonDocumentOptions ConvertedOptions = new();

    public static bool IsManifestFile(string fileName)
        => fileName.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase)
            || fileName.EndsWith(".yml", StringComparison.OrdinalIgnoreCase)
            || fileName.EndsWith(".json", StringComparison.OrdinalIgnoreCase);

    public static ManifestParseResult Parse(string file, string content)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(content);

        var objects = new List<KubernetesObject>();
        var problems = new List<ManifestProblem>();
        var ignored = new List<string>();

        List<byte[]> documents;
        var isJson = file.EndsWith(".json", StringComparison.OrdinalIgnoreCase);
        try
        {
            documents = isJson ? [System.Text.Encoding.UTF8.GetBytes(content)] : YamlJsonConverter.ConvertDocumentsToUtf8(content);
        }
        catch (YamlException ex)
        {
            // YamlDotNet marks are 1-based; its message alone does not say where.
            problems.Add(new ManifestProblem(file, null, null, null,
                $"syntax error at line {ex.Start.Line}, column {ex.Start.Column}: {ex.Message}"));
            return new ManifestParseResult(objects, problems, ignored);
        }

        foreach (var json in documents)
        {
            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(json, isJson ? JsonOptions : ConvertedOptions);
            }
            catch (JsonException ex)
            {
                problems.Add(new ManifestProblem(file, null, null, null, $"syntax error: {ex.Message}"));
                return new ManifestParseResult(objects, problems, ignored);
            }

            using (document)
            {
                // A JSON file holding just null is empty, like a YAML document holding only comments.
                if (document.RootElement.ValueKind != JsonValueKind.Null)
                {
                    AddDocument(file, document.RootElement, objects, problems, ignored, depth: 0);
                }
            }
        }

        return new ManifestParseResult(objects, problems, ignored);
    }

    private static void AddDocument(
        string file, JsonElement obj, List<KubernetesObject> objects, List<ManifestProblem> problems, List<string> ignored, int depth)
    {
        if (obj.ValueKind != JsonValueKind.Object)
        {
            problems.Add(new ManifestProblem(file, null, null, null, $"expected an object, found {obj.ValueKind}"));
            return;
        }

        var kind = ReadString(obj, "kind");
        var apiVersion = ReadString(obj, "apiVersion");
        JsonElement? metadata = obj.TryGetProperty("metadata", out var meta) && meta.ValueKind == JsonValueKind.Object ? meta : null;
        var name = metadata is { } m1 ? ReadString(m1, "name") : null;
        var ns = metadata is { } m2 ? ReadString(m2, "namespace") : null;

        if (string.IsNullOrEmpty(kind))
        {
            problems.Add(new ManifestProblem(file, null, ns, name, "missing 'kind'"));
            return;
        }

        // "kind: List" (kubectl get -o yaml) and typed lists (ServiceList…) both carry items.
        if (kind.EndsWith("List", StringComparison.Ordinal) && depth == 0)
        {
            if (!obj.TryGetProperty("items", out var items) || items.ValueKind != JsonValueKind.Array)
            {
                problems.Add(new ManifestProblem(file, kind, ns, name, "list without 'items' array"));
                return;
            }

            foreach (var item in items.EnumerateArray())
            {
                if (item.ValueKind == JsonValueKind.Null)
                {
                    continue;
                }

                AddDocument(file, item, objects, problems, ignored, depth + 1);
            }

            return;
        }

        var (typeInfo, expectedApiVersion, namespaced) = kind switch
        {
            "Ingress" => ((JsonTypeInfo)KubernetesJsonContext.Default.Ingress, "networking.k8s.io/v1", true),
            "IngressClass" => (KubernetesJsonContext.Default.IngressClass, "networking.k8s.io/v1", false),
            "Service" => (KubernetesJsonContext.Default.Service, "v1", true),
            "EndpointSlice" => (KubernetesJsonContext.Default.EndpointSlice, "discovery.k8s.io/v1", true),
            "Secret" => (KubernetesJsonContext.Default.Secret, "v1", true),
            IngressCheckSum.KindName => (KubernetesJsonContext.Default.IngressCheckSum, CheckSumApiVersion(apiVersion), true),
            SecretCheckSum.KindName => (KubernetesJsonContext.Default.SecretCheckSum, CheckSumApiVersion(apiVersion), true),
            _ => ((JsonTypeInfo?)null, "", false),
        };

        if (typeInfo is null)
        {
            ignored.Add(kind);
            return;
        }

        if (apiVersion != expectedApiVersion)
        {
            problems.Add(new ManifestProblem(file, kind, ns, name,
                $"unsupported apiVersion '{apiVersion}' (expected {expectedApiVersion})"));
            return;
        }

        if (string.IsNullOrEmpty(name))
        {
            problems.Add(new ManifestProblem(file, kind, ns, name, "missing metadata.name"));
            return;
        }

        KubernetesObject? value;
        try
        {
            value = (KubernetesObject?)obj.Deserialize(typeInfo);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException)
        {
            problems.Add(new ManifestProblem(file, kind, ns, name, $"invalid object: {ex.Message}"));
            return;
        }

        if (value is null)
        {
            problems.Add(new ManifestProblem(file, kind, ns, name, "object is null"));
            return;
        }

        value.Metadata ??= new ObjectMeta();
        value.Metadata.Namespace = namespaced
            ? string.IsNullOrEmpty(value.Metadata.Namespace) ? DefaultNamespace : value.Metadata.Namespace
            : null;
        objects.Add(value);
    }

    /// <summary>A folder has no --checksum-api-group to consult: either group is read, so a Tengine export loads as is.</summary>
    private static string CheckSumApiVersion(string? apiVersion)
        => apiVersion == $"{CheckSumResource.TengineGroup}/{CheckSumResource.Version}"
            ? apiVersion
            : $"{CheckSumResource.DefaultGroup}/{CheckSumResource.Version}";

    private static string? ReadString(JsonElement obj, string property)
        => obj.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
