using System.Runtime.CompilerServices;
using Npgsql;
using Static.Shared.Catalog;

namespace Static.Shared.Artifacts;

/// <summary>A product's version and placement: enough to plan a publish without loading every product.</summary>
public readonly record struct ProductVersion(long Id, long RowVersion, long CategoryId, int? FeaturedRank);

/// <summary>One page of a category listing, and whether another follows.</summary>
public sealed record ListingPage(IReadOnlyList<Product> Products, bool HasMore);

/// <summary>
/// The catalog reads that artifacts are rendered from, in batches (the Publisher) or for one path (the Api).
/// Listings are ordered by product id, the same order the Api's keyset pagination continues in.
/// </summary>
public sealed class ArtifactDataReader(NpgsqlDataSource dataSource)
{
    private const string ProductColumns = "id, slug, name, description, price_amount, currency, category_id, image_urls, featured_rank, updated_at, row_version";

    public async Task<(SiteConfig Config, long Version)> GetSiteConfigAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("select document::text, version from site_config where id = 1");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            throw new InvalidOperationException("The catalog has no site config: seed it first (publisher seed).");
        }

        return (CatalogJsonContext.DeserializeSiteConfig(reader.GetString(0)), reader.GetInt64(1));
    }

    public async Task<IReadOnlyList<ProductVersion>> GetProductVersionsAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("select id, row_version, category_id, featured_rank from products order by id");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var list = new List<ProductVersion>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            list.Add(new ProductVersion(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.IsDBNull(3) ? null : reader.GetInt32(3)));
        }

        return list;
    }

    public async IAsyncEnumerable<Product> GetAllProductsAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // Every product's images in one query first, then the products streamed.
        var images = await ProductImageReader.AllAsync(dataSource, cancellationToken).ConfigureAwait(false);
        await using var command = dataSource.CreateCommand($"select {ProductColumns} from products order by id");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return ProductImageReader.With(CatalogStore.ReadProduct(reader), images);
        }
    }

    public async Task<IReadOnlyList<Product>> GetProductsAsync(IReadOnlyCollection<long> ids, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ids);
        if (ids.Count == 0)
        {
            return [];
        }

        await using var command = dataSource.CreateCommand($"select {ProductColumns} from products where id = any(@ids) order by id");
        command.Parameters.AddWithValue("ids", ids.ToArray());
        return await ReadProductsAsync(command, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Page 1 of each listed category: the first <paramref name="pageSize"/> products by id, and whether more exist.</summary>
    public async Task<IReadOnlyDictionary<long, ListingPage>> GetFirstPagesAsync(IReadOnlyCollection<long> categoryIds, int pageSize, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(categoryIds);
        var result = categoryIds.Distinct().ToDictionary(id => id, _ => new List<Product>());
        if (result.Count == 0)
        {
            return new Dictionary<long, ListingPage>();
        }

        await using var command = dataSource.CreateCommand(
            $"""
            select {ProductColumns} from (
                select p.*, row_number() over (partition by p.category_id order by p.id) as rn
                from products p where p.category_id = any(@ids)
            ) ranked
            where rn <= @take
            order by category_id, id
            """);
        command.Parameters.AddWithValue("ids", result.Keys.ToArray());
        command.Parameters.AddWithValue("take", (long)pageSize + 1);
        foreach (var product in await ReadProductsAsync(command, cancellationToken).ConfigureAwait(false))
        {
            result[product.CategoryId].Add(product);
        }

        return result.ToDictionary(
            kv => kv.Key,
            kv => new ListingPage(kv.Value.Count > pageSize ? kv.Value.GetRange(0, pageSize) : kv.Value, kv.Value.Count > pageSize));
    }

    public async Task<IReadOnlyList<Product>> GetFeaturedAsync(int count, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            $"select {ProductColumns} from products where featured_rank is not null order by featured_rank, id limit @count");
        command.Parameters.AddWithValue("count", count);
        return await ReadProductsAsync(command, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The data for one stable path, built exactly as the publisher builds it (same queries, same order),
    /// so the renderer gives the same bytes; null when the path names nothing in the catalog. A listing path
    /// of page 2 and on (never published) loads that page the same way the Api paginates.
    /// </summary>
    public async Task<ArtifactData?> LoadAsync(ArtifactPath path, Configuration.PublishConfig settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(settings);
        var listingPageSize = settings.Catalog.ListingPageSize;
        if (path.Kind == ArtifactKind.Asset)
        {
            // Assets do not read the catalog; whether the name exists is the renderer's to say.
            return new AssetData(path, SiteInfo.From(settings, new SiteConfig(null, [], new Dictionary<string, bool>(), "")));
        }

        // A path that names a product or a category asks for it first: an unknown id or slug (a cache-busting
        // flood) then costs one query, not the site config's as well.
        switch (path.Kind)
        {
            case ArtifactKind.ProductHtml or ArtifactKind.ProductJson:
                var products = await GetProductsAsync([path.Id], cancellationToken).ConfigureAwait(false);
                if (products.Count == 0)
                {
                    return null;
                }

                var category = await GetCategoryAsync(null, products[0].CategoryId, cancellationToken).ConfigureAwait(false);
                return category is null ? null : new ProductData(path, await SiteAsync().ConfigureAwait(false), products[0], category);
            case ArtifactKind.CategoryHtml or ArtifactKind.CategoryJson:
                var listed = await GetCategoryAsync(path.Slug, null, cancellationToken).ConfigureAwait(false);
                if (listed is null)
                {
                    return null;
                }

                var page = path.Page == 1
                    ? (await GetFirstPagesAsync([listed.Id], listingPageSize, cancellationToken).ConfigureAwait(false))[listed.Id]
                    : await GetListingPageAsync(listed.Id, path.Page, listingPageSize, cancellationToken).ConfigureAwait(false);
                if (path.Page > 1 && page.Products.Count == 0)
                {
                    return null;   // past the last page
                }

                var resolved = path.IsHtml ? ArtifactPath.CategoryHtml(listed.Id, listed.Slug, path.Page) : ArtifactPath.CategoryJson(listed.Id, listed.Slug, path.Page);
                return new CategoryData(resolved, await SiteAsync().ConfigureAwait(false), listed, page.Products, page.HasMore);
        }

        var site = await SiteAsync().ConfigureAwait(false);
        switch (path.Kind)
        {
            case ArtifactKind.RobotsTxt:
                return new RobotsData(path, site);
            case ArtifactKind.SitemapIndex:
                var all = await new CatalogStore(dataSource).GetCategoriesAsync(cancellationToken).ConfigureAwait(false);
                return new SitemapIndexData(path, site, Sitemaps.Files(all.Select(c => c.Id), await GetProductIdsAsync(cancellationToken).ConfigureAwait(false), site.Pages.SitemapUrlsPerFile));
            case ArtifactKind.Sitemap:
                return await LoadSitemapAsync(path, site, cancellationToken).ConfigureAwait(false);
            case ArtifactKind.HomeHtml or ArtifactKind.HomeJson:
                var categories = await new CatalogStore(dataSource).GetCategoriesAsync(cancellationToken).ConfigureAwait(false);
                var featured = await GetFeaturedAsync(settings.Catalog.FeaturedCount, cancellationToken).ConfigureAwait(false);
                return new HomeData(path, site, featured, categories.Where(c => c.ParentId is null).ToList());
            case ArtifactKind.ConfigJson:
                return new ConfigData(path, site);
            case ArtifactKind.NotFoundHtml:
                return new NotFoundData(path, site);
            default:
                return null;
        }

        async Task<SiteInfo> SiteAsync()
        {
            var (config, _) = await GetSiteConfigAsync(cancellationToken).ConfigureAwait(false);
            return SiteInfo.From(settings, config);
        }
    }

    private async Task<IReadOnlyList<long>> GetProductIdsAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("select id from products order by id");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var ids = new List<long>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            ids.Add(reader.GetInt64(0));
        }

        return ids;
    }

    /// <summary>One sitemap file's data (null when its range is empty): the same query and order the publisher uses.</summary>
    private async Task<SitemapData?> LoadSitemapAsync(ArtifactPath path, SiteInfo site, CancellationToken cancellationToken)
    {
        var perFile = site.Pages.SitemapUrlsPerFile;
        var (from, to) = ((path.Id * perFile) + 1, (path.Id + 1) * perFile);
        if (path.Slug == ArtifactPath.SitemapProducts)
        {
            await using var command = dataSource.CreateCommand("select id, updated_at from products where id between @from and @to order by id");
            command.Parameters.AddWithValue("from", from);
            command.Parameters.AddWithValue("to", to);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            var rows = new List<(long Id, DateTimeOffset UpdatedAt)>();
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                rows.Add((reader.GetInt64(0), reader.GetFieldValue<DateTimeOffset>(1)));
            }

            return rows.Count == 0 ? null : Sitemaps.Products(path, site, rows);
        }

        var categories = await new CatalogStore(dataSource).GetCategoriesAsync(cancellationToken).ConfigureAwait(false);
        var listed = categories.Where(c => c.Id >= from && c.Id <= to).ToList();
        return listed.Count == 0 && path.Id != 0 ? null : Sitemaps.Pages(path, site, listed);
    }

    public async Task<Category?> GetCategoryAsync(string? slug, long? id, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "select id, slug, name, parent_id, sort_order, updated_at, row_version from categories where slug = @slug or id = @id");
        command.Parameters.AddWithValue("slug", (object?)slug ?? DBNull.Value);
        command.Parameters.AddWithValue("id", (object?)id ?? DBNull.Value);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? CatalogStore.ReadCategory(reader) : null;
    }

    /// <summary>Page <paramref name="page"/> (1-based) of a category listing, in id order; one extra row tells whether more exist.</summary>
    public async Task<ListingPage> GetListingPageAsync(long categoryId, int page, int pageSize, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            $"select {ProductColumns} from products where category_id = @category order by id limit @take offset @skip");
        command.Parameters.AddWithValue("category", categoryId);
        command.Parameters.AddWithValue("take", pageSize + 1);
        command.Parameters.AddWithValue("skip", (long)(page - 1) * pageSize);
        var rows = await ReadProductsAsync(command, cancellationToken).ConfigureAwait(false);
        return new ListingPage(rows.Count > pageSize ? rows.GetRange(0, pageSize) : rows, rows.Count > pageSize);
    }

    /// <summary>The command's products with their images (one more query for the whole batch).</summary>
    private async Task<List<Product>> ReadProductsAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var list = new List<Product>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                list.Add(CatalogStore.ReadProduct(reader));
            }
        }

        return await ProductImageReader.AttachAsync(dataSource, list, cancellationToken).ConfigureAwait(false);
    }
}
