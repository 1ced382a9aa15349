using System.Globalization;
using System.Text.RegularExpressions;
using Static.Shared.Catalog;

namespace Static.Shared.Artifacts;

/// <summary>What a stable path is: the artifact catalogue's list of everything that can be published.</summary>
public enum ArtifactKind
{
    HomeHtml,
    HomeJson,
    ConfigJson,
    ProductHtml,
    ProductJson,
    CategoryHtml,
    CategoryJson,
    NotFoundHtml,

    /// <summary><c>/robots.txt</c>.</summary>
    RobotsTxt,

    /// <summary><c>/sitemap.xml</c>: the sitemap index.</summary>
    SitemapIndex,

    /// <summary>A sitemap file: <c>/sitemaps/pages-{n}.xml</c> (home and categories) or <c>/sitemaps/products-{n}.xml</c>; <see cref="ArtifactPath.Slug"/> is <c>pages</c> or <c>products</c>, <see cref="ArtifactPath.Id"/> the file number.</summary>
    Sitemap,

    /// <summary>A file of the asset pipeline: <c>/sw.js</c> or <c>/_assets/{name}</c> (<see cref="ArtifactPath.Slug"/> is the name).</summary>
    Asset,
}

/// <summary>Which Cache-Control an artifact gets (publish-config.json <c>publish.cacheControl</c>).</summary>
public enum ArtifactClass
{
    Html,
    Json,
    Asset,
}

/// <summary>
/// A stable path (<c>/products/12.json</c>) and what it names. Parsing is strict: anything that is not
/// exactly one of the catalogue's shapes is not an artifact, so it can never reach a query or a file name.
/// <see cref="Page"/> is a listing's page number: 1 for every published path; the Api renders pages 2 and on
/// (<see cref="CategoryJson(long, string, int)"/>) with the same renderer and never publishes them.
/// </summary>
public sealed partial record ArtifactPath(ArtifactKind Kind, string Path, long Id = 0, string? Slug = null, int Page = 1)
{
    public const string Home = "/index.html";
    public const string HomeData = "/home.json";
    public const string Config = "/config.json";
    public const string NotFound = "/404.html";
    public const string Robots = "/robots.txt";
    public const string SitemapIndexPath = "/sitemap.xml";
    public const string SitemapPages = "pages";
    public const string SitemapProducts = "products";

    public static ArtifactPath HomeHtml { get; } = new(ArtifactKind.HomeHtml, Home);

    public static ArtifactPath HomeJson { get; } = new(ArtifactKind.HomeJson, HomeData);

    public static ArtifactPath ConfigJson { get; } = new(ArtifactKind.ConfigJson, Config);

    public static ArtifactPath NotFoundHtml { get; } = new(ArtifactKind.NotFoundHtml, NotFound);

    public static ArtifactPath RobotsTxt { get; } = new(ArtifactKind.RobotsTxt, Robots);

    public static ArtifactPath SitemapIndex { get; } = new(ArtifactKind.SitemapIndex, SitemapIndexPath);

    /// <summary>Sitemap file <paramref name="number"/> of a kind (<see cref="SitemapPages"/> or <see cref="SitemapProducts"/>).</summary>
    public static ArtifactPath Sitemap(string kind, long number)
    {
        if (kind is not (SitemapPages or SitemapProducts))
        {
            throw new ArgumentException($"'{kind}' is not a sitemap kind.", nameof(kind));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(number);
        return new(ArtifactKind.Sitemap, string.Create(CultureInfo.InvariantCulture, $"/sitemaps/{kind}-{number}.xml"), number, kind);
    }

    /// <summary>Which sitemap file lists a product or category id (files hold id ranges of <paramref name="urlsPerFile"/>; ids start at 1).</summary>
    public static long SitemapNumber(long id, int urlsPerFile) => (id - 1) / urlsPerFile;

    public bool IsHtml => Kind is ArtifactKind.HomeHtml or ArtifactKind.ProductHtml or ArtifactKind.CategoryHtml or ArtifactKind.NotFoundHtml;

    /// <summary>robots.txt and the sitemaps: documents for crawlers, cached like pages.</summary>
    public bool IsCrawlerFile => Kind is ArtifactKind.RobotsTxt or ArtifactKind.SitemapIndex or ArtifactKind.Sitemap;

    public ArtifactClass Class => Kind == ArtifactKind.Asset ? ArtifactClass.Asset : IsHtml || IsCrawlerFile ? ArtifactClass.Html : ArtifactClass.Json;

    public string ContentType => Kind switch
    {
        ArtifactKind.Asset => AssetContentType(Extension),
        ArtifactKind.RobotsTxt => "text/plain; charset=utf-8",
        ArtifactKind.SitemapIndex or ArtifactKind.Sitemap => "application/xml; charset=utf-8",
        _ when IsHtml => "text/html; charset=utf-8",
        _ => "application/json; charset=utf-8",
    };

    public string Extension => Kind is ArtifactKind.Asset or ArtifactKind.RobotsTxt or ArtifactKind.SitemapIndex or ArtifactKind.Sitemap
        ? System.IO.Path.GetExtension(Path)
        : IsHtml ? ".html" : ".json";

    /// <summary>The Service Worker's path: stable and at the root, so its scope can be the whole site.</summary>
    public const string ServiceWorker = "/sw.js";

    /// <summary>Where assets other than the Service Worker live (their stable copies; pages use the immutable ones).</summary>
    public const string AssetsPrefix = "/_assets/";

    /// <summary>An asset's stable path: <c>sw.js</c> is <c>/sw.js</c>, any other name is under <c>/_assets/</c>.</summary>
    public static ArtifactPath Asset(string name)
    {
        if (!AssetNamePattern().IsMatch(name))
        {
            throw new ArgumentException($"'{name}' is not an asset name (lower-case letters, digits, '-' and '.', with a known extension).", nameof(name));
        }

        return new(ArtifactKind.Asset, name == "sw.js" ? ServiceWorker : AssetsPrefix + name, Slug: name);
    }

    private static string AssetContentType(string extension) => extension switch
    {
        ".js" => "text/javascript; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        ".svg" => "image/svg+xml",
        ".png" => "image/png",
        ".jpg" => "image/jpeg",
        ".webp" => "image/webp",
        ".woff2" => "font/woff2",
        _ => "application/octet-stream",
    };

    /// <summary>The object-store key: the path without its leading slash.</summary>
    public string Key => Path[1..];

    public static ArtifactPath ProductHtml(long id) => new(ArtifactKind.ProductHtml, string.Create(CultureInfo.InvariantCulture, $"/products/{id}.html"), id);

    public static ArtifactPath ProductJson(long id) => new(ArtifactKind.ProductJson, string.Create(CultureInfo.InvariantCulture, $"/products/{id}.json"), id);

    public static ArtifactPath CategoryHtml(Category category) => CategoryHtml(category.Id, category.Slug);

    public static ArtifactPath CategoryJson(Category category) => CategoryJson(category.Id, category.Slug);

    public static ArtifactPath CategoryHtml(long id, string slug) => new(ArtifactKind.CategoryHtml, $"/categories/{slug}/1.html", id, slug);

    public static ArtifactPath CategoryJson(long id, string slug) => new(ArtifactKind.CategoryJson, $"/categories/{slug}/1.json", id, slug);

    /// <summary>Page <paramref name="page"/> (1-based) of a category's HTML listing; page 1 is the published artifact, the Api renders the rest.</summary>
    public static ArtifactPath CategoryHtml(long id, string slug, int page)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(page, 1);
        return new(ArtifactKind.CategoryHtml, string.Create(CultureInfo.InvariantCulture, $"/categories/{slug}/{page}.html"), id, slug, page);
    }

    /// <summary>Page <paramref name="page"/> (1-based) of a category's JSON listing; page 1 is the published artifact.</summary>
    public static ArtifactPath CategoryJson(long id, string slug, int page)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(page, 1);
        return new(ArtifactKind.CategoryJson, string.Create(CultureInfo.InvariantCulture, $"/categories/{slug}/{page}.json"), id, slug, page);
    }

    /// <summary>
    /// Parses a stable path. Category paths carry the slug, not the id: <see cref="Id"/> is 0 for them
    /// until resolved against the catalog. Returns null for anything else (including page 2 and on).
    /// </summary>
    public static ArtifactPath? TryParse(string? path)
    {
        if (string.IsNullOrEmpty(path) || path.Length > 300)
        {
            return null;
        }

        switch (path)
        {
            case Home or "/":
                return HomeHtml;
            case HomeData:
                return HomeJson;
            case Config:
                return ConfigJson;
            case NotFound:
                return NotFoundHtml;
            case ServiceWorker:
                return Asset("sw.js");
            case Robots:
                return RobotsTxt;
            case SitemapIndexPath:
                return SitemapIndex;
        }

        var sitemap = SitemapPattern().Match(path);
        if (sitemap.Success && long.TryParse(sitemap.Groups[2].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            return Sitemap(sitemap.Groups[1].Value, number);
        }

        if (path.StartsWith(AssetsPrefix, StringComparison.Ordinal) && path.Length > AssetsPrefix.Length
            && path[AssetsPrefix.Length..] is var asset && asset != "sw.js" && AssetNamePattern().IsMatch(asset))
        {
            return Asset(asset);
        }

        var product = ProductPattern().Match(path);
        if (product.Success && long.TryParse(product.Groups[1].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var id) && id > 0)
        {
            return product.Groups[2].Value == "html" ? ProductHtml(id) : ProductJson(id);
        }

        var category = CategoryPattern().Match(path);
        if (category.Success && Catalog.Slug.IsValid(category.Groups[1].Value))
        {
            return category.Groups[2].Value == "html"
                ? CategoryHtml(0, category.Groups[1].Value)
                : CategoryJson(0, category.Groups[1].Value);
        }

        return null;
    }

    [GeneratedRegex(@"^[a-z0-9][a-z0-9-]{0,60}(\.[a-z0-9-]{1,20})*\.(js|css|svg|png|jpg|webp|woff2)$", RegexOptions.CultureInvariant)]
    private static partial Regex AssetNamePattern();

    [GeneratedRegex(@"^/sitemaps/(pages|products)-(0|[1-9][0-9]{0,12})\.xml$", RegexOptions.CultureInvariant)]
    private static partial Regex SitemapPattern();

    [GeneratedRegex(@"^/products/([1-9][0-9]{0,17})\.(html|json)$", RegexOptions.CultureInvariant)]
    private static partial Regex ProductPattern();

    [GeneratedRegex(@"^/categories/([a-z0-9-]{1,120})/1\.(html|json)$", RegexOptions.CultureInvariant)]
    private static partial Regex CategoryPattern();
}
