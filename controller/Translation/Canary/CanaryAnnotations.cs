namespace Gatehouse.Controller.Translation.Canary;

/// <summary>Canary annotation names (read under --annotations-prefix), ingress-nginx's plus Tengine-Ingress's.</summary>
internal static class CanaryAnnotations
{
    public const string Canary = "canary";
    public const string ByHeader = "canary-by-header";
    public const string ByHeaderValue = "canary-by-header-value";
    public const string ByHeaderPattern = "canary-by-header-pattern";
    public const string ByCookie = "canary-by-cookie";
    public const string ByCookieValue = "canary-by-cookie-value";
    public const string ByQuery = "canary-by-query";
    public const string ByQueryValue = "canary-by-query-value";
    public const string ModDivisor = "canary-mod-divisor";
    public const string ModRelationalOperator = "canary-mod-relational-operator";
    public const string ModRemainder = "canary-mod-remainder";
    public const string Weight = "canary-weight";
    public const string WeightTotal = "canary-weight-total";
    public const string RequestAddHeader = "canary-request-add-header";
    public const string RequestAppendHeader = "canary-request-append-header";
    public const string RequestAddQuery = "canary-request-add-query";
    public const string ResponseAddHeader = "canary-response-add-header";
    public const string ResponseAppendHeader = "canary-response-append-header";

    /// <summary>Separator of value lists and header actions (Tengine-Ingress).</summary>
    public const string ListSeparator = "||";
}
