using Static.Shared.Catalog;

namespace Static.Shared.Artifacts;

/// <summary>
/// How the sitemap is cut: <c>/sitemap.xml</c> is an index of files of at most <c>site.sitemapUrlsPerFile</c> URLs
/// (the protocol's limit is 50,000). Files hold id ranges — <c>products-{n}.xml</c> the product pages with ids
/// <c>n·size+1 … (n+1)·size</c>, <c>pages-{n}.xml</c> the category pages likewise, and <c>pages-0.xml</c> also the
/// home page — so a product that appears changes one file, never shifts the others. A file whose range is empty
/// does not exist (except <c>pages-0.xml</c>). Each file depends on the entities it lists and on
/// <see cref="DependencyKeys.Sitemap"/> / <see cref="DependencyKeys.Categories"/> (pages appearing or going).
/// </summary>
public static class Sitemaps
{
    /// <summary>The files the index lists, in order: the pages files, then the products files.</summary>
    public static IReadOnlyList<ArtifactPath> Files(IEnumerable<long> categoryIds, IEnumerable<long> productIds, int perFile)
    {
        var pages = categoryIds.Select(id => ArtifactPath.SitemapNumber(id, perFile)).Append(0).Distinct().Order();
        var products = productIds.Select(id => ArtifactPath.SitemapNumber(id, perFile)).Distinct().Order();
        return [.. pages.Select(n => ArtifactPath.Sitemap(ArtifactPath.SitemapPages, n)), .. products.Select(n => ArtifactPath.Sitemap(ArtifactPath.SitemapProducts, n))];
    }

    /// <summary>A pages file: the home page (file 0 only) and the first page of each category in its range, by id.</summary>
    public static SitemapData Pages(ArtifactPath path, SiteInfo site, IEnumerable<Category> categories)
    {
        ArgumentNullException.ThrowIfNull(path);
        var listed = categories.OrderBy(c => c.Id).ToList();
        var urls = new List<SitemapUrl>(listed.Count + 1);
        if (path.Id == 0)
        {
            urls.Add(new SitemapUrl("/", null));
        }

        urls.AddRange(listed.Select(c => new SitemapUrl(ArtifactPath.CategoryHtml(c).Path, c.UpdatedAt)));
        var keys = listed.Select(c => DependencyKeys.Category(c.Id)).Append(DependencyKeys.Categories).ToList();
        return new SitemapData(path, site, urls, keys);
    }

    /// <summary>A products file: every product page in its range, by id, with when the product last changed.</summary>
    public static SitemapData Products(ArtifactPath path, SiteInfo site, IEnumerable<(long Id, DateTimeOffset UpdatedAt)> products)
    {
        ArgumentNullException.ThrowIfNull(path);
        var listed = products.OrderBy(p => p.Id).ToList();
        var urls = listed.Select(p => new SitemapUrl(ArtifactPath.ProductHtml(p.Id).Path, p.UpdatedAt)).ToList();
        var keys = listed.Select(p => DependencyKeys.Product(p.Id)).Append(DependencyKeys.Sitemap).ToList();
        return new SitemapData(path, site, urls, keys);
    }
}
