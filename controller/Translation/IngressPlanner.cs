using Gatehouse.Controller.Kubernetes.Models;
using Gatehouse.Controller.Sources;
using Gatehouse.Controller.Translation.Canary;
using Gatehouse.Controller.Translation.Upstream;
using Gatehouse.Model;

namespace Gatehouse.Controller.Translation;

/// <summary>Works out an <see cref="IngressPlan"/>: everything about one Ingress that needs no other object.</summary>
internal static class IngressPlanner
{
    public static IngressPlan Plan(Ingress ingress, ControllerOptions options)
    {
        var ns = ingress.Metadata.Namespace ?? ManifestParser.DefaultNamespace;
        var name = ingress.Metadata.Name ?? "";
        var annotations = new AnnotationReader(ingress.Metadata, options.AnnotationsPrefix);
        var steps = new List<IngressPlanStep>();

        // Anything but an explicit "false" counts: an unparsable "canary" must not claim routes.
        var isCanary = annotations.TryGetString(CanaryAnnotations.Canary, out var marker)
            && !marker.Equals("false", StringComparison.OrdinalIgnoreCase);
        CanaryConfig? canary = null;
        if (isCanary)
        {
            var problems = new List<string>();
            canary = CanaryReader.Read(annotations, problems, out var error);
            foreach (var problem in problems)
            {
                steps.Add(new IngressPlanStep.Reject(DiagnosticCodes.InvalidAnnotation, problem));
            }

            if (canary is null)
            {
                steps.Add(new IngressPlanStep.Reject(DiagnosticCodes.InvalidCanary, $"{error ?? "invalid canary"}; canary not served (main routes keep serving)"));
                return new IngressPlan(ns, name, isCanary) { Steps = steps };
            }

            canary = canary with { Ingress = $"{ns}/{name}" };
        }

        var spec = ingress.Spec;
        if (spec is null)
        {
            steps.Add(new IngressPlanStep.Reject(DiagnosticCodes.MissingSpec, "spec is missing"));
            return new IngressPlan(ns, name, isCanary) { Canary = canary, Steps = steps };
        }

        var protocol = ReadProtocol(annotations, steps);
        var upstream = isCanary ? null : ReadUpstream(annotations, steps);

        BackendReference? defaultBackend = null;
        if (spec.DefaultBackend is { } specDefault)
        {
            defaultBackend = ValidateBackend(specDefault, ns, "spec.defaultBackend", protocol, steps);
            if (defaultBackend is not null)
            {
                steps.Add(new IngressPlanStep.DefaultBackend(defaultBackend));
            }
        }

        var rules = spec.Rules ?? [];
        for (var i = 0; i < rules.Count; i++)
        {
            var rule = rules[i];
            if (!HostName.TryNormalize(rule.Host, out var host, out var hostError))
            {
                steps.Add(new IngressPlanStep.Reject(DiagnosticCodes.InvalidHost, $"rules[{i}]: {hostError}; rule ignored"));
                continue;
            }

            if (rule.Http is null)
            {
                // A host-only rule sends everything for that host to the Ingress's default backend.
                if (defaultBackend is not null)
                {
                    steps.Add(new IngressPlanStep.Route(host, "/", PathMatch.Prefix, defaultBackend, $"rules[{i}]"));
                }

                continue;
            }

            var paths = rule.Http.Paths ?? [];
            if (paths.Count == 0)
            {
                steps.Add(new IngressPlanStep.Reject(DiagnosticCodes.EmptyPaths, $"rules[{i}].http.paths is empty; rule ignored"));
                continue;
            }

            for (var j = 0; j < paths.Count; j++)
            {
                AddPath(host, paths[j], ns, $"rules[{i}].http.paths[{j}]", protocol, steps);
            }
        }

        if (!ReadAccessLog(annotations, steps))
        {
            steps.Add(new IngressPlanStep.AccessLogOff());
        }

        return new IngressPlan(ns, name, isCanary) { Canary = canary, Upstream = upstream, Steps = steps };
    }

    /// <summary>enable-access-log: "false" silences this Ingress's routes; anything but true/false is reported and ignored.</summary>
    private static bool ReadAccessLog(AnnotationReader annotations, List<IngressPlanStep> steps)
    {
        try
        {
            return annotations.GetBoolean(Annotations.EnableAccessLog) ?? true;
        }
        catch (FormatException ex)
        {
            steps.Add(new IngressPlanStep.Reject(DiagnosticCodes.InvalidAnnotation, ex.Message + "; access log stays on"));
            return true;
        }
    }

    private static void AddPath(string host, HttpIngressPath path, string ns, string where, BackendProtocol protocol, List<IngressPlanStep> steps)
    {
        PathMatch match;
        switch (path.PathType)
        {
            case "Exact": match = PathMatch.Exact; break;
            case "Prefix": match = PathMatch.Prefix; break;
            case "ImplementationSpecific": match = PathMatch.ImplementationSpecific; break;
            case null or "":
                steps.Add(new IngressPlanStep.Reject(DiagnosticCodes.InvalidPathType, $"{where}: pathType is required (Exact, Prefix or ImplementationSpecific); path ignored"));
                return;
            default:
                steps.Add(new IngressPlanStep.Reject(DiagnosticCodes.InvalidPathType, $"{where}: pathType '{path.PathType}' is not Exact, Prefix or ImplementationSpecific; path ignored"));
                return;
        }

        var value = path.Path;
        if (string.IsNullOrEmpty(value) && match == PathMatch.ImplementationSpecific)
        {
            // The API allows omitting the path for ImplementationSpecific; it then matches everything.
            value = "/";
        }

        if (string.IsNullOrEmpty(value) || value[0] != '/')
        {
            steps.Add(new IngressPlanStep.Reject(DiagnosticCodes.InvalidPath, $"{where}: path '{value}' must start with '/'; path ignored"));
            return;
        }

        if (match == PathMatch.Prefix)
        {
            // Prefix matching is element-wise, so "/foo/" and "/foo" are the same route.
            value = value.TrimEnd('/');
            if (value.Length == 0)
            {
                value = "/";
            }
        }

        if (ValidateBackend(path.Backend, ns, $"{where}.backend", protocol, steps) is { } backend)
        {
            steps.Add(new IngressPlanStep.Route(host, value, match, backend, where));
        }
    }

    private static BackendReference? ValidateBackend(IngressBackend? backend, string ns, string where, BackendProtocol protocol, List<IngressPlanStep> steps)
    {
        if (backend is null)
        {
            steps.Add(new IngressPlanStep.Reject(DiagnosticCodes.MissingBackend, $"{where}: backend is required; path ignored"));
            return null;
        }

        if (backend.Resource is not null)
        {
            steps.Add(new IngressPlanStep.Reject(DiagnosticCodes.UnsupportedBackend, $"{where}: resource backends are not supported; ignored"));
            return null;
        }

        if (backend.Service is not { Name: { Length: > 0 } service } serviceBackend)
        {
            steps.Add(new IngressPlanStep.Reject(DiagnosticCodes.InvalidServiceBackend, $"{where}: service.name is required; ignored"));
            return null;
        }

        var port = serviceBackend.Port;
        var hasNumber = port?.Number is not null;
        var hasName = !string.IsNullOrEmpty(port?.Name);
        if (hasNumber == hasName)
        {
            steps.Add(new IngressPlanStep.Reject(DiagnosticCodes.InvalidServiceBackend, $"{where}: service.port needs exactly one of number or name; ignored"));
            return null;
        }

        if (port!.Number is { } number && number is < 1 or > 65535)
        {
            steps.Add(new IngressPlanStep.Reject(DiagnosticCodes.InvalidServiceBackend, $"{where}: service.port.number {number} is out of range; ignored"));
            return null;
        }

        return new BackendReference(ns, service, port.Number, hasName ? port.Name : null, protocol);
    }

    private static BackendProtocol ReadProtocol(AnnotationReader annotations, List<IngressPlanStep> steps)
    {
        if (!annotations.TryGetString(Annotations.BackendProtocol, out var value))
        {
            return BackendProtocol.Http;
        }

        switch (value?.Trim().ToUpperInvariant())
        {
            case "HTTP": return BackendProtocol.Http;
            case "HTTPS": return BackendProtocol.Https;
            case "GRPC": return BackendProtocol.Grpc;
            case "GRPCS": return BackendProtocol.Grpcs;
            default:
                steps.Add(new IngressPlanStep.Reject(DiagnosticCodes.InvalidAnnotation, $"annotation {annotations.FullName(Annotations.BackendProtocol)}: '{value}' is not HTTP, HTTPS, GRPC or GRPCS; using HTTP"));
                return BackendProtocol.Http;
        }
    }

    private static UpstreamPolicyConfig? ReadUpstream(AnnotationReader annotations, List<IngressPlanStep> steps)
    {
        var problems = new List<string>();
        var policy = UpstreamPolicyReader.Read(annotations, balancingOnly: false, problems);
        foreach (var problem in problems)
        {
            steps.Add(new IngressPlanStep.Reject(DiagnosticCodes.InvalidAnnotation, problem));
        }

        return policy;
    }
}
