using Static.Shared.Catalog;

namespace Static.Shared.Artifacts;

/// <summary>Site-wide values every page shows (from publish-config.json and the site config document).</summary>
/// <remarks>
/// <see cref="Client"/> is rendered into every page, so whoever builds a <see cref="SiteInfo"/> passes the
/// configured settings (<see cref="ClientSettings.From"/>): the publisher and the Api must give the same bytes.
/// </remarks>
public sealed record SiteInfo(string Name, SiteConfig Config, ClientSettings Client, PageSettings Pages)
{
    /// <summary>The site as configured: what the publisher and the Api both render with.</summary>
    public static SiteInfo From(Configuration.PublishConfig config, SiteConfig siteConfig)
    {
        ArgumentNullException.ThrowIfNull(config);
        return new(config.Site.Name, siteConfig, ClientSettings.From(config), PageSettings.From(config));
    }
}

/// <summary>
/// How pages name and write things (publish-config.json <c>site</c>): the public origin canonical links, OpenGraph
/// and the sitemap use, the locale prices are written in, and how many URLs a sitemap file holds.
/// </summary>
public sealed record PageSettings(string BaseUrl, string Locale, int SitemapUrlsPerFile)
{
    public static PageSettings Default { get; } = new("http://127.0.0.1:56081", "en-IE", 1_000);

    public static PageSettings From(Configuration.PublishConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return new(config.Site.BaseUrl, config.Site.Locale, config.Site.SitemapUrlsPerFile);
    }

    /// <summary>An absolute URL of a site path (<c>/products/7.html</c>); the homepage is <c>{base}/</c>.</summary>
    public string Absolute(string path) => BaseUrl + (path == ArtifactPath.Home ? "/" : path);

    /// <summary>A price as the site writes it (<see cref="PriceFormat"/>).</summary>
    public string Price(Money price) => PriceFormat.Format(price, Locale);
}

/// <summary>
/// What pages tell the browser module (publish-config.json <c>client</c>, and the sharding that says which shard holds
/// a page's data), and the image pipeline that names the variants pages reference (<c>images</c>; the default when null).
/// </summary>
public sealed record ClientSettings(string ApiBaseUrl, int RefreshSeconds, bool ServiceWorker, int ProductsPerShard = 256, int CategoriesPerShard = 512, Images.ImagePipeline? ImagePipeline = null)
{
    public static ClientSettings None { get; } = new("", 0, false);

    /// <summary>The image pipeline pages are rendered with.</summary>
    public Images.ImagePipeline Images => ImagePipeline ?? Shared.Images.ImagePipeline.Default;

    public static ClientSettings From(Configuration.PublishConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return new(config.Client.ApiBaseUrl, config.Client.RefreshSeconds, config.Client.ServiceWorker, config.Publish.ProductsPerShard, config.Publish.CategoriesPerShard,
            Shared.Images.ImagePipeline.From(config.Images));
    }

    /// <summary>The manifest shard that holds a stable path's entry.</summary>
    public string ShardOf(ArtifactPath path) => Manifests.ManifestSharding.ShardOf(path, ProductsPerShard, CategoriesPerShard);
}

/// <summary>The data one artifact is rendered from. The Publisher and the Api build these the same way.</summary>
public abstract record ArtifactData(ArtifactPath Path, SiteInfo Site)
{
    /// <summary>The dependency keys of this artifact (sorted, distinct): what invalidates it.</summary>
    public abstract IReadOnlyList<string> DependencyKeys();
}

public sealed record HomeData(ArtifactPath Path, SiteInfo Site, IReadOnlyList<Product> Featured, IReadOnlyList<Category> Categories)
    : ArtifactData(Path, Site)
{
    public override IReadOnlyList<string> DependencyKeys() => Keys.Sorted(
        Featured.Select(p => Artifacts.DependencyKeys.Product(p.Id))
            .Concat(Categories.Select(c => Artifacts.DependencyKeys.Category(c.Id)))
            .Append(Artifacts.DependencyKeys.Featured)
            .Append(Artifacts.DependencyKeys.Categories)
            .Append(Artifacts.DependencyKeys.Config));
}

public sealed record ConfigData(ArtifactPath Path, SiteInfo Site) : ArtifactData(Path, Site)
{
    public override IReadOnlyList<string> DependencyKeys() => [Artifacts.DependencyKeys.Config];
}

public sealed record ProductData(ArtifactPath Path, SiteInfo Site, Product Product, Category Category) : ArtifactData(Path, Site)
{
    public override IReadOnlyList<string> DependencyKeys()
    {
        var keys = new List<string> { Artifacts.DependencyKeys.Product(Product.Id), Artifacts.DependencyKeys.Category(Category.Id) };
        if (Path.IsHtml)
        {
            keys.Add(Artifacts.DependencyKeys.Config);   // the layout shows the site name and navigation
        }

        return Keys.Sorted(keys);
    }
}

/// <summary>
/// A page of a category listing (<see cref="ArtifactPath.Page"/>: 1 is published, 2 and on are served by the
/// Api); <see cref="HasMore"/> says whether the next page exists. Every page carries the keys of the
/// products it shows and its query key (<see cref="ChangeImpact"/> relies on both).
/// </summary>
public sealed record CategoryData(ArtifactPath Path, SiteInfo Site, Category Category, IReadOnlyList<Product> Products, bool HasMore)
    : ArtifactData(Path, Site)
{
    public override IReadOnlyList<string> DependencyKeys()
    {
        var keys = Products.Select(p => Artifacts.DependencyKeys.Product(p.Id)).ToList();
        keys.Add(Artifacts.DependencyKeys.Category(Category.Id));
        keys.Add(Artifacts.DependencyKeys.CategoryList(Category.Id));
        if (Path.IsHtml)
        {
            keys.Add(Artifacts.DependencyKeys.Config);
        }

        return Keys.Sorted(keys);
    }
}

/// <summary>
/// A file of the asset pipeline (src/Templates/assets): the same bytes whatever the catalog holds. Published at its
/// stable path and, content-addressed, under <c>/_immutable/</c>, which is what pages reference.
/// </summary>
public sealed record AssetData(ArtifactPath Path, SiteInfo Site) : ArtifactData(Path, Site)
{
    public override IReadOnlyList<string> DependencyKeys() => [];
}

/// <summary><c>/robots.txt</c>: everything public may be crawled; it names the sitemap.</summary>
public sealed record RobotsData(ArtifactPath Path, SiteInfo Site) : ArtifactData(Path, Site)
{
    public override IReadOnlyList<string> DependencyKeys() => [];
}

/// <summary>One URL of a sitemap: a stable path and when what it shows last changed (null: not stated).</summary>
public readonly record struct SitemapUrl(string Path, DateTimeOffset? LastModified);

/// <summary>
/// A sitemap file (<see cref="ArtifactPath.Sitemap"/>): the home page and category pages, or the product pages,
/// whose ids fall in its range. Depends on each entity it lists and on the listing keys, so a page that
/// appears or goes is caught too.
/// </summary>
public sealed record SitemapData(ArtifactPath Path, SiteInfo Site, IReadOnlyList<SitemapUrl> Urls, IReadOnlyList<string> Keys)
    : ArtifactData(Path, Site)
{
    public override IReadOnlyList<string> DependencyKeys() => Artifacts.Keys.Sorted(Keys);
}

/// <summary><c>/sitemap.xml</c>: the index of the sitemap files that have URLs.</summary>
public sealed record SitemapIndexData(ArtifactPath Path, SiteInfo Site, IReadOnlyList<ArtifactPath> Sitemaps) : ArtifactData(Path, Site)
{
    public override IReadOnlyList<string> DependencyKeys() => [Artifacts.DependencyKeys.Categories, Artifacts.DependencyKeys.Sitemap];
}

public sealed record NotFoundData(ArtifactPath Path, SiteInfo Site) : ArtifactData(Path, Site)
{
    public override IReadOnlyList<string> DependencyKeys() => [Artifacts.DependencyKeys.Config];
}

internal static class Keys
{
    public static string[] Sorted(IEnumerable<string> keys)
    {
        var array = keys.Distinct(StringComparer.Ordinal).ToArray();
        Array.Sort(array, StringComparer.Ordinal);
        return array;
    }
}
