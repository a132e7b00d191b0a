namespace Gatehouse.Controller.Kubernetes.Client;

/// <summary>
/// The bearer token to send: fixed (kubeconfig "token") or read from a file (kubeconfig "tokenFile",
/// or the projected service-account token in a pod, which the kubelet rotates). A file is re-read at
/// most once per <see cref="RefreshInterval"/>, and at once after the server answered 401, so a
/// rotated token is picked up without restarting the controller.
/// </summary>
public sealed class BearerTokenSource
{
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromMinutes(1);

    private readonly string? _fixedToken;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private string? _cachedToken;
    private long _readAt;

    private BearerTokenSource(string? fixedToken, string? tokenFile, TimeProvider time)
    {
        _fixedToken = fixedToken;
        TokenFile = tokenFile;
        _time = time;
    }

    /// <summary>The file the token is read from, or null for a fixed token.</summary>
    public string? TokenFile { get; }

    public static BearerTokenSource FromToken(string token)
    {
        ArgumentException.ThrowIfNullOrEmpty(token);
        return new BearerTokenSource(token, null, TimeProvider.System);
    }

    public static BearerTokenSource FromFile(string path, TimeProvider? time = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return new BearerTokenSource(null, path, time ?? TimeProvider.System);
    }

    /// <summary>The current token; reads the file when it was never read or the cached copy is older than the refresh interval.</summary>
    public string GetToken()
    {
        if (_fixedToken is not null)
        {
            return _fixedToken;
        }

        lock (_lock)
        {
            if (_cachedToken is null || _time.GetElapsedTime(_readAt) >= RefreshInterval)
            {
                _cachedToken = File.ReadAllText(TokenFile!).Trim();
                _readAt = _time.GetTimestamp();
            }

            return _cachedToken;
        }
    }

    /// <summary>
    /// Called after a 401: re-reads the file now. Returns true when the token changed, i.e. when
    /// retrying the request can help (a fixed token never changes).
    /// </summary>
    public bool Invalidate()
    {
        if (_fixedToken is not null)
        {
            return false;
        }

        lock (_lock)
        {
            var previous = _cachedToken;
            _cachedToken = null;
            return !string.Equals(previous, GetToken(), StringComparison.Ordinal);
        }
    }
}
