namespace Gatehouse.Controller.Translation.Tls;

/// <summary>
/// The last good certificate of each TLS Secret, kept across translations so that a Secret updated
/// with a broken certificate keeps serving the previous one (the update is rejected with a Diagnostic).
/// A deleted Secret is forgotten. Owned by the control loop, which translates one snapshot at a time.
/// </summary>
public sealed class CertificateHistory
{
    private readonly Dictionary<string, ValidatedCertificate> _lastGood = new(StringComparer.Ordinal);

    public CertificateHistory(TimeProvider? time = null)
    {
        Time = time ?? TimeProvider.System;
    }

    /// <summary>Decides whether a certificate is expired or not yet valid (warnings only).</summary>
    public TimeProvider Time { get; }

    /// <summary>
    /// Seeds the history from the certificates of the config the channel already holds (what the proxy
    /// serves), so a controller restarted while a Secret is broken keeps serving its last good
    /// certificate instead of falling back to the default one. Returns how many were taken.
    /// </summary>
    public int Seed(IEnumerable<Gatehouse.Model.CertificateConfig> published)
    {
        ArgumentNullException.ThrowIfNull(published);
        var seeded = 0;
        foreach (var certificate in published)
        {
            if (certificate.PrivateKeyPem is { Length: > 0 } key
                && !_lastGood.ContainsKey(certificate.Name)
                && SecretCertificateValidator.TryValidatePem(certificate.CertificatePem, key, out var validated, out _))
            {
                _lastGood[certificate.Name] = validated!;
                seeded++;
            }
        }

        return seeded;
    }

    internal void Remember(string secret, ValidatedCertificate certificate) => _lastGood[secret] = certificate;

    internal ValidatedCertificate? LastGood(string secret) => _lastGood.GetValueOrDefault(secret);

    internal void Forget(string secret) => _lastGood.Remove(secret);
}
