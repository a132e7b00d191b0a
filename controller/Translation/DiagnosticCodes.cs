namespace Gatehouse.Controller.Translation;

/// <summary>
/// Short, fixed codes for <see cref="Diagnostic.Code"/>. They label the rejections metric, so the set
/// must stay small and stable; the free-text <see cref="Diagnostic.Reason"/> carries the specifics.
/// </summary>
public static class DiagnosticCodes
{
    public const string Invalid = "invalid";
    public const string MissingSpec = "missing_spec";
    public const string InvalidHost = "invalid_host";
    public const string EmptyPaths = "empty_paths";
    public const string InvalidPathType = "invalid_path_type";
    public const string InvalidPath = "invalid_path";
    public const string PathConflict = "path_conflict";
    public const string BackendProtocolConflict = "backend_protocol_conflict";
    public const string BackendUnresolved = "backend_unresolved";
    public const string MissingBackend = "missing_backend";
    public const string UnsupportedBackend = "unsupported_backend";
    public const string InvalidServiceBackend = "invalid_service_backend";
    public const string InvalidAnnotation = "invalid_annotation";
    public const string InvalidCanary = "invalid_canary";
    public const string CanaryWithoutMain = "canary_without_main";
    public const string CanaryLimit = "canary_limit";
    public const string MissingSecret = "missing_secret";
    public const string InvalidSecret = "invalid_secret";
    public const string CertificateExpired = "certificate_expired";
    public const string CertificateConflict = "certificate_conflict";
}
