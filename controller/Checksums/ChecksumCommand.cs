using System.Globalization;
using Gatehouse.Controller.Kubernetes.Client;
using Gatehouse.Controller.Kubernetes.Models;
using Gatehouse.Controller.Sources;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gatehouse.Controller.Checksums;

/// <summary>
/// "gatehouse-controller checksum": computes the IngressCheckSum and SecretCheckSum resources of a
/// manifests folder or a cluster and prints them as YAML, for pipelines to apply with kubectl after
/// they changed the objects. Reads the same objects the controller does (TLS Secrets only).
/// </summary>
public static class ChecksumCommand
{
    public const string Usage = """
        Usage: gatehouse-controller checksum --manifests DIR [options]
               gatehouse-controller checksum --kubeconfig PATH [--context NAME] [options]

        Prints the IngressCheckSum and SecretCheckSum resources matching the Ingresses and TLS
        Secrets of a folder or a cluster (ids "<n>-<version>", Secrets "<n>-<version>-<sha1>").
        Apply the output with: ... | kubectl apply -f -

          --manifests DIR           read *.yaml, *.yml, *.json manifests from DIR
          --kubeconfig PATH         read the cluster named by this kubeconfig
          --context NAME            kubeconfig context (default: its current-context)
          --kind KIND               ingress, secret or all (default: all)
          --namespace NS            namespace of the printed resources (default: default)
          --name NAME               their name (default: gatehouse)
          --checksum-api-group G    gatehouse.io (default) or tengine.taobao.org
          --annotations-prefix P    prefix of the version annotation, as the controller's flag
                                    (default: nginx.ingress.kubernetes.io)
          --ids                     print the ids, one a line, instead of the resources
          --apply                   with --kubeconfig: create or update the resources in the cluster
                                    (merge patch of spec) instead of printing them
          -h, --help                show this help
        """;

    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var idsOnly = false;
        var apply = false;
        for (var i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "-h" or "--help":
                    await output.WriteLineAsync(Usage).ConfigureAwait(false);
                    return 0;
                case "--ids":
                    idsOnly = true;
                    continue;
                case "--apply":
                    apply = true;
                    continue;
                case "--manifests" or "--kubeconfig" or "--context" or "--kind" or "--namespace" or "--name" or "--checksum-api-group" or "--annotations-prefix"
                    when i + 1 < args.Count && !values.ContainsKey(args[i]):
                    values[args[i]] = args[++i];
                    continue;
                default:
                    return await UsageErrorAsync(error, $"unexpected or repeated argument '{args[i]}'").ConfigureAwait(false);
            }
        }

        values.TryGetValue("--manifests", out var manifests);
        values.TryGetValue("--kubeconfig", out var kubeconfig);
        if ((manifests is null) == (kubeconfig is null))
        {
            return await UsageErrorAsync(error, "give exactly one of --manifests DIR and --kubeconfig PATH").ConfigureAwait(false);
        }

        if (apply && (kubeconfig is null || idsOnly))
        {
            return await UsageErrorAsync(error, "--apply needs --kubeconfig (and prints nothing, so not --ids)").ConfigureAwait(false);
        }

        var kind = values.GetValueOrDefault("--kind", "all");
        if (kind is not ("ingress" or "secret" or "all"))
        {
            return await UsageErrorAsync(error, $"--kind '{kind}' is not ingress, secret or all").ConfigureAwait(false);
        }

        var group = values.GetValueOrDefault("--checksum-api-group", CheckSumResource.DefaultGroup);
        if (group is not (CheckSumResource.DefaultGroup or CheckSumResource.TengineGroup))
        {
            return await UsageErrorAsync(error, $"--checksum-api-group '{group}' is not {CheckSumResource.DefaultGroup} or {CheckSumResource.TengineGroup}").ConfigureAwait(false);
        }

        ResourceSnapshot snapshot;
        try
        {
            snapshot = manifests is not null
                ? await ReadFolderAsync(manifests).ConfigureAwait(false)
                : await ReadClusterAsync(KubernetesClientConfiguration.FromKubeconfig(kubeconfig!, values.GetValueOrDefault("--context"))).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or KubernetesApiException or HttpRequestException
            or InvalidDataException or InvalidOperationException or FormatException or System.Security.Cryptography.CryptographicException
            or YamlDotNet.Core.YamlException or TaskCanceledException)
        {
            await error.WriteLineAsync($"gatehouse-controller checksum: {ex.Message}").ConfigureAwait(false);
            return 1;
        }

        // The "version" annotation is read under the same prefix as the controller's (--annotations-prefix).
        var prefix = values.GetValueOrDefault("--annotations-prefix", ControllerOptions.DefaultAnnotationsPrefix).TrimEnd('/') + "/";
        var timestamp = DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        var ns = values.GetValueOrDefault("--namespace", ManifestParser.DefaultNamespace);
        var name = values.GetValueOrDefault("--name", "gatehouse");
        if (apply)
        {
            var configuration = KubernetesClientConfiguration.FromKubeconfig(kubeconfig!, values.GetValueOrDefault("--context"));
            using var api = new KubernetesApiClient(configuration);
            try
            {
                if (kind is "ingress" or "all")
                {
                    var ids = ChecksumCalculator.Sort(snapshot.Ingresses.Values.Select(i => ChecksumIds.ForIngress(i, prefix)).OfType<string>());
                    await output.WriteLineAsync(await ApplyAsync<IngressCheckSum>(api, group, IngressCheckSum.Plural, ns, name, timestamp, ids).ConfigureAwait(false)).ConfigureAwait(false);
                }

                if (kind is "secret" or "all")
                {
                    var ids = ChecksumCalculator.Sort(snapshot.Secrets.Values.Select(s => ChecksumIds.ForSecret(s, prefix)).OfType<string>());
                    await output.WriteLineAsync(await ApplyAsync<SecretCheckSum>(api, group, SecretCheckSum.Plural, ns, name, timestamp, ids).ConfigureAwait(false)).ConfigureAwait(false);
                }
            }
            catch (Exception ex) when (ex is KubernetesApiException or HttpRequestException or TaskCanceledException)
            {
                await error.WriteLineAsync($"gatehouse-controller checksum: applying failed: {ex.Message}").ConfigureAwait(false);
                return 1;
            }

            return 0;
        }

        var documents = new List<string>();
        if (kind is "ingress" or "all")
        {
            var ids = ChecksumCalculator.Sort(snapshot.Ingresses.Values.Select(i => ChecksumIds.ForIngress(i, prefix)).OfType<string>());
            documents.Add(idsOnly ? string.Join('\n', ids) : Resource(group, IngressCheckSum.KindName, ns, name, timestamp, ids));
        }

        if (kind is "secret" or "all")
        {
            var ids = ChecksumCalculator.Sort(snapshot.Secrets.Values.Select(s => ChecksumIds.ForSecret(s, prefix)).OfType<string>());
            documents.Add(idsOnly ? string.Join('\n', ids) : Resource(group, SecretCheckSum.KindName, ns, name, timestamp, ids));
        }

        await output.WriteLineAsync(string.Join(idsOnly ? "\n" : "---\n", documents.Where(d => d.Length > 0))).ConfigureAwait(false);
        return 0;
    }

    /// <summary>One CR as YAML; every scalar is double-quoted so ids and the timestamp stay strings.</summary>
    public static string Resource(string group, string kind, string @namespace, string name, string timestamp, IReadOnlyList<string> sortedIds)
        => $"""
            apiVersion: {group}/{CheckSumResource.Version}
            kind: {kind}
            metadata:
              name: "{name}"
              namespace: "{@namespace}"
            spec:
              timestamp: "{timestamp}"
              checksum: "{ChecksumCalculator.Md5(sortedIds)}"
              ids: "{ChecksumCalculator.Join(sortedIds)}"

            """;

    /// <summary>
    /// Creates the resource, or merge-patches the spec of the existing one (other fields, labels and
    /// annotations an operator set stay). Returns a line saying which, like kubectl apply.
    /// </summary>
    private static async Task<string> ApplyAsync<T>(IKubernetesApi api, string group, string plural, string @namespace, string name, string timestamp, IReadOnlyList<string> sortedIds)
        where T : CheckSumResource, new()
    {
        var collection = $"/apis/{group}/{CheckSumResource.Version}/namespaces/{@namespace}/{plural}";
        var spec = new CheckSumSpec { Timestamp = timestamp, Checksum = ChecksumCalculator.Md5(sortedIds), Ids = ChecksumCalculator.Join(sortedIds) };
        var existing = await api.GetAsync<T>($"{collection}/{name}", CancellationToken.None).ConfigureAwait(false);
        if (existing is null)
        {
            var created = new T
            {
                ApiVersion = $"{group}/{CheckSumResource.Version}",
                Kind = typeof(T) == typeof(IngressCheckSum) ? IngressCheckSum.KindName : SecretCheckSum.KindName,
                Metadata = new ObjectMeta { Name = name, Namespace = @namespace },
                Spec = spec,
            };
            await api.CreateAsync(collection, created, CancellationToken.None).ConfigureAwait(false);
            return $"{plural}.{group}/{name} created (checksum {spec.Checksum})";
        }

        var patch = new System.Text.Json.Nodes.JsonObject
        {
            ["spec"] = new System.Text.Json.Nodes.JsonObject { ["timestamp"] = spec.Timestamp, ["checksum"] = spec.Checksum, ["ids"] = spec.Ids },
        };
        await api.PatchAsync<T>($"{collection}/{name}", patch, CancellationToken.None).ConfigureAwait(false);
        return $"{plural}.{group}/{name} configured (checksum {spec.Checksum})";
    }

    private static async Task<ResourceSnapshot> ReadFolderAsync(string directory)
    {
        if (!Directory.Exists(directory))
        {
            throw new IOException($"--manifests directory '{directory}' does not exist");
        }

        using var source = new ManifestFolderSource(directory, TimeSpan.Zero, NullLogger<ManifestFolderSource>.Instance);
        await source.StartAsync(CancellationToken.None).ConfigureAwait(false);
        if (!source.LastReadComplete)
        {
            throw new InvalidDataException($"some manifests in '{directory}' could not be read; a checksum of part of them would be wrong");
        }

        return source.Current;
    }

    private static async Task<ResourceSnapshot> ReadClusterAsync(KubernetesClientConfiguration configuration)
    {
        using var api = new KubernetesApiClient(configuration);
        var ingresses = await ListAllAsync<Ingress>(api, "/apis/networking.k8s.io/v1/ingresses", null).ConfigureAwait(false);
        var secrets = await ListAllAsync<Secret>(api, "/api/v1/secrets", KubernetesResourceSource.TlsSecretFieldSelector).ConfigureAwait(false);
        return ResourceSnapshot.Empty with
        {
            Ingresses = ResourceSnapshot.Empty.Ingresses.SetItems(ingresses.Select(i => KeyValuePair.Create(ResourceSnapshot.Key(i.Metadata.Namespace, i.Metadata.Name!), i))),
            Secrets = ResourceSnapshot.Empty.Secrets.SetItems(secrets.Select(s => KeyValuePair.Create(ResourceSnapshot.Key(s.Metadata.Namespace, s.Metadata.Name!), s))),
        };
    }

    private static async Task<List<T>> ListAllAsync<T>(IKubernetesApi api, string path, string? fieldSelector)
        where T : KubernetesObject
    {
        var items = new List<T>();
        string? next = null;
        do
        {
            var page = await api.ListAsync<T>(path, new ListRequest { FieldSelector = fieldSelector, Limit = 500, Continue = next }, CancellationToken.None).ConfigureAwait(false);
            items.AddRange(page.Items.Where(i => i.Metadata.Name is not null));
            next = string.IsNullOrEmpty(page.Metadata.Continue) ? null : page.Metadata.Continue;
        }
        while (next is not null);
        return items;
    }

    private static async Task<int> UsageErrorAsync(TextWriter error, string message)
    {
        await error.WriteLineAsync($"gatehouse-controller checksum: {message}").ConfigureAwait(false);
        await error.WriteLineAsync("Run 'gatehouse-controller checksum --help' for usage.").ConfigureAwait(false);
        return CommandLine.UsageExitCode;
    }
}
