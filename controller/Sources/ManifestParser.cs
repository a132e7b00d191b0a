using System.Text.Json;
using System.Text.Json.Nodes;
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
    };

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

        List<JsonNode> documents;
        try
        {
            documents = file.EndsWith(".json", StringComparison.OrdinalIgnoreCase)
                ? JsonNode.Parse(content, documentOptions: JsonOptions) is { } root ? [root] : []
                : YamlJsonConverter.ConvertDocuments(content);
        }
        catch (YamlException ex)
        {
            // YamlDotNet marks are 1-based; its message alone does not say where.
            problems.Add(new ManifestProblem(file, null, null, null,
                $"syntax error at line {ex.Start.Line}, column {ex.Start.Column}: {ex.Message}"));
            return new ManifestParseResult(objects, problems, ignored);
        }
        catch (JsonException ex)
        {
            problems.Add(new ManifestProblem(file, null, null, null, $"syntax error: {ex.Message}"));
            return new ManifestParseResult(objects, problems, ignored);
        }

        foreach (var document in documents)
        {
            AddDocument(file, document, objects, problems, ignored, depth: 0);
        }

        return new ManifestParseResult(objects, problems, ignored);
    }

    private static void AddDocument(
        string file, JsonNode node, List<KubernetesObject> objects, List<ManifestProblem> problems, List<string> ignored, int depth)
    {
        if (node is not JsonObject obj)
        {
            problems.Add(new ManifestProblem(file, null, null, null, $"expected an object, found {node.GetValueKind()}"));
            return;
        }

        var kind = ReadString(obj, "kind");
        var apiVersion = ReadString(obj, "apiVersion");
        var metadata = obj["metadata"] as JsonObject;
        var name = metadata is null ? null : ReadString(metadata, "name");
        var ns = metadata is null ? null : ReadString(metadata, "namespace");

        if (string.IsNullOrEmpty(kind))
        {
            problems.Add(new ManifestProblem(file, null, ns, name, "missing 'kind'"));
            return;
        }

        // "kind: List" (kubectl get -o yaml) and typed lists (ServiceList…) both carry items.
        if (kind.EndsWith("List", StringComparison.Ordinal) && depth == 0)
        {
            if (obj["items"] is not JsonArray items)
            {
                problems.Add(new ManifestProblem(file, kind, ns, name, "list without 'items' array"));
                return;
            }

            foreach (var item in items)
            {
                if (item is null)
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

    private static string? ReadString(JsonObject obj, string property)
        => obj[property] is JsonValue value && value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : null;
}
