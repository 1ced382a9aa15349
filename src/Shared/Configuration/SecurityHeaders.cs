namespace Static.Shared.Configuration;

/// <summary>
/// The security headers of the site, from publish-config.json, in one place: the Api sends them, the generated VCL
/// sets them at the local edge and the CloudFront response headers policy carries them (with HSTS), so a page has the
/// same policy whichever of them answered it.
/// </summary>
public static class SecurityHeaders
{
    public const string ContentTypeOptions = "nosniff";

    /// <summary>Full URL to the site itself, only the origin to other sites, nothing from HTTPS to HTTP.</summary>
    public const string ReferrerPolicy = "strict-origin-when-cross-origin";

    /// <summary>HSTS (CloudFront only: the local edge is plain HTTP): a year.</summary>
    public const int StrictTransportSecurityMaxAge = 31_536_000;

    /// <summary>
    /// The pages' Content-Security-Policy. Everything a page loads is its own origin's: the module and the stylesheet
    /// (<c>/_immutable/…</c>, with SRI), images (<c>/_immutable/img/…</c>), the Service Worker (<c>/sw.js</c>) and
    /// the reads of the manifest, shards and <c>/stock</c>; the one other origin is <c>client.apiBaseUrl</c>, which
    /// the module reads when the edge fails. No inline script or style exists, so none is allowed: JSON-LD
    /// (<c>&lt;script type="application/ld+json"&gt;</c>) is a data block, not a script, and <c>script-src</c> does
    /// not apply to it. No framing.
    /// </summary>
    public static string ContentSecurityPolicy(PublishConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var api = config.Client.ApiBaseUrl.TrimEnd('/');
        var connect = api.Length > 0 ? "'self' " + api : "'self'";
        return $"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'self'; connect-src {connect}; "
            + "worker-src 'self'; manifest-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";
    }

    /// <summary>True for a Content-Type the page headers apply to (HTML).</summary>
    public static bool IsPage(string? contentType) =>
        contentType is not null && contentType.StartsWith("text/html", StringComparison.OrdinalIgnoreCase);
}
