namespace Static.Publisher.Edge;

/// <summary>
/// What the edge may ask the Api for when the store lacks a path: the Api's public read routes
/// (src/Api/Artifacts/ArtifactEndpoints.cs) and nothing else. Anything outside them that the store lacks is a 404 at
/// the edge, so <c>/admin</c>, <c>/metrics</c>, <c>/healthz</c>, <c>/readyz</c> and <c>/openapi</c> (which the Api
/// answers only on its management port anyway) never reach an Api instance through the edge.
/// </summary>
public static class EdgeRoutes
{
    /// <summary>
    /// The paths (no query string; <c>/stock</c> keeps its own) the Api reads: the manifest root and its shards,
    /// <c>/stock</c>, listing pages (any page number: the Api answers 400 past its range), image variants, and every
    /// stable path the publisher produces (<c>ArtifactPath.TryParse</c>'s shapes). One pattern, read alike by PCRE2
    /// (Varnish) and .NET (the tests).
    /// </summary>
    public const string ApiReadPattern =
        @"^/(manifest\.json|_manifest/[^/?]+\.json|stock|categories/[a-z0-9-]+/-?[0-9]+\.(html|json)"
        + @"|_immutable/img/[a-z0-9-]+/[0-9a-f]{64}-[0-9]+\.(webp|jpg)|products/[0-9]+\.(html|json)"
        + @"|index\.html|home\.json|config\.json|404\.html|sw\.js|robots\.txt|sitemap\.xml|sitemaps/(pages|products)-[0-9]+\.xml"
        + @"|_assets/[a-z0-9][a-z0-9.-]*)$";

    /// <summary>
    /// CloudFront path patterns (globs, in precedence order) that may fail over from the store to the Api: the same
    /// routes as <see cref="ApiReadPattern"/>, as coarsely as CloudFront's globs allow (the Api answers 404 for the rest
    /// of each folder). Everything else is the store's alone.
    /// </summary>
    public static IReadOnlyList<string> CloudFrontApiFallbackPatterns { get; } =
    [
        "/_immutable/img/*", "/_manifest/*", "/manifest.json", "/categories/*", "/products/*", "/_assets/*", "/sitemaps/*",
        "/index.html", "/home.json", "/config.json", "/404.html", "/sw.js", "/robots.txt", "/sitemap.xml",
    ];
}
