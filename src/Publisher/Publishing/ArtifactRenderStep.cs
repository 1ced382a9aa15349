using Static.Shared.Artifacts;
using Static.Shared.Catalog;
using Static.Shared.Configuration;
using Static.Shared.Manifests;
using Static.Templates;

namespace Static.Publisher.Publishing;

/// <summary>
/// Renders a run's paths: loads what they read in a few batch queries, renders through the one
/// <see cref="ArtifactRenderer"/> in parallel (<c>publish.renderParallelism</c>), and describes each artifact
/// for the diff and the upload (hashes, Cache-Control, surrogate keys, shard). Each item goes to <c>rendered</c> as
/// soon as it exists (the publisher writes its immutable copy then, and drops bytes it no longer needs).
/// </summary>
internal sealed class ArtifactRenderStep(PublishConfig config, RendererSource renderers, ArtifactDataReader data)
{
    public async Task<List<RenderedItem>> RenderAsync(
        List<ArtifactPath> paths, SiteInfo site, IReadOnlyList<Category> categories, bool full,
        StageClock stages, IProgress<PublishProgress>? progress, CancellationToken cancellationToken,
        Func<RenderedItem, CancellationToken, ValueTask>? rendered = null)
    {
        if (paths.Count == 0)
        {
            return [];
        }

        // Compile the templates (once per process) while the data loads.
        var compiling = renderers.GetAsync();
        var categoriesById = categories.ToDictionary(c => c.Id);
        var categoriesBySlug = categories.ToDictionary(c => c.Slug, StringComparer.Ordinal);

        // Load what the render set reads, in a few batch queries.
        var productIds = paths.Where(p => p.Kind is ArtifactKind.ProductHtml or ArtifactKind.ProductJson).Select(p => p.Id).ToHashSet();
        var products = new System.Collections.Concurrent.ConcurrentDictionary<long, Product>(Environment.ProcessorCount, productIds.Count);
        if (full)
        {
            await foreach (var p in data.GetAllProductsAsync(cancellationToken).ConfigureAwait(false))
            {
                products[p.Id] = p;
            }
        }
        else
        {
            foreach (var p in await data.GetProductsAsync(productIds, cancellationToken).ConfigureAwait(false))
            {
                products[p.Id] = p;
            }
        }

        var listedCategories = paths.Where(p => p.Kind is ArtifactKind.CategoryHtml or ArtifactKind.CategoryJson).Select(p => categoriesBySlug[p.Slug!].Id).ToHashSet();
        var pages = await data.GetFirstPagesAsync(listedCategories, config.Catalog.ListingPageSize, cancellationToken).ConfigureAwait(false);
        var needsHome = paths.Any(p => p.Kind is ArtifactKind.HomeHtml or ArtifactKind.HomeJson);
        var featured = needsHome ? await data.GetFeaturedAsync(config.Catalog.FeaturedCount, cancellationToken).ConfigureAwait(false) : [];
        var topLevel = categories.Where(c => c.ParentId is null).ToList();
        var crawlerFiles = new Dictionary<string, ArtifactData>(StringComparer.Ordinal);
        foreach (var path in paths.Where(p => p.IsCrawlerFile))
        {
            // A handful of files, each one query (the same the Api runs for that path).
            crawlerFiles[path.Path] = await data.LoadAsync(path, config, cancellationToken).ConfigureAwait(false)
                ?? throw new InvalidOperationException($"{path.Path} is in the plan but lists nothing.");
        }

        // A product is let go once its pages are rendered: at 100,000 products the catalog and the rendered items
        // would otherwise be at their largest together.
        var productUses = new System.Collections.Concurrent.ConcurrentDictionary<long, int>();
        foreach (var p in paths.Where(p => p.Kind is ArtifactKind.ProductHtml or ArtifactKind.ProductJson))
        {
            productUses.AddOrUpdate(p.Id, 1, (_, n) => n + 1);
        }

        var renderer = await compiling.ConfigureAwait(false);
        stages.Lap("load");
        var items = new RenderedItem[paths.Count];
        var pool = new System.Collections.Concurrent.ConcurrentDictionary<string, string>(StringComparer.Ordinal);   // this run's repeated strings
        var done = 0;
        var parallelism = config.Publish.RenderParallelism > 0 ? config.Publish.RenderParallelism : Environment.ProcessorCount;
        await Parallel.ForEachAsync(Enumerable.Range(0, paths.Count), new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = cancellationToken }, async (i, ct) =>
        {
            var path = paths[i];
            ArtifactData model = path.Kind switch
            {
                ArtifactKind.HomeHtml or ArtifactKind.HomeJson => new HomeData(path, site, featured, topLevel),
                ArtifactKind.ConfigJson => new ConfigData(path, site),
                ArtifactKind.NotFoundHtml => new NotFoundData(path, site),
                ArtifactKind.ProductHtml or ArtifactKind.ProductJson => new ProductData(path, site, products[path.Id], categoriesById[products[path.Id].CategoryId]),
                ArtifactKind.CategoryHtml or ArtifactKind.CategoryJson => CategoryModel(path, site, categoriesBySlug[path.Slug!], pages),
                ArtifactKind.Asset => new AssetData(path, site),
                ArtifactKind.RobotsTxt or ArtifactKind.SitemapIndex or ArtifactKind.Sitemap => crawlerFiles[path.Path] with { Site = site },
                _ => throw new InvalidOperationException($"No data for {path.Path}"),
            };
            var artifact = await renderer.RenderAsync(model).ConfigureAwait(false);
            var item = items[i] = Describe(artifact, ImagesOf(model), pool);
            if (model is ProductData && productUses.AddOrUpdate(path.Id, 0, (_, n) => n - 1) == 0)
            {
                products.TryRemove(path.Id, out _);
            }

            if (rendered is not null)
            {
                await rendered(item, ct).ConfigureAwait(false);
            }

            var n = Interlocked.Increment(ref done);
            if ((n & 1023) == 0 || n == paths.Count)
            {
                progress?.Report(new PublishProgress("rendering", n, paths.Count));
            }
        }).ConfigureAwait(false);
        stages.Lap("render");
        return [.. items];
    }

    private static CategoryData CategoryModel(ArtifactPath path, SiteInfo site, Category category, IReadOnlyDictionary<long, ListingPage> pages)
    {
        var page = pages.TryGetValue(category.Id, out var p) ? p : new ListingPage([], false);
        return new CategoryData(ArtifactPathWithId(path, category), site, category, page.Products, page.HasMore);
    }

    private static ArtifactPath ArtifactPathWithId(ArtifactPath path, Category category) =>
        path.IsHtml ? ArtifactPath.CategoryHtml(category) : ArtifactPath.CategoryJson(category);

    /// <summary>The product images a page or document references: a product's all, a listing's first of each product.</summary>
    private static IReadOnlyList<ProductImage> ImagesOf(ArtifactData model) => model switch
    {
        ProductData product => product.Product.Images,
        CategoryData category => [.. category.Products.Where(p => p.Images.Count > 0).Select(p => p.Images[0])],
        HomeData home => [.. home.Featured.Where(p => p.Images.Count > 0).Select(p => p.Images[0])],
        _ => [],
    };

    private RenderedItem Describe(RenderedArtifact artifact, IReadOnlyList<ProductImage> images, System.Collections.Concurrent.ConcurrentDictionary<string, string> pool)
    {
        var cacheControl = config.Publish.CacheControl.For(artifact.Path.Class);
        // Keys and shards repeat across thousands of items ("config", "category:3", "products-12"): one instance each.
        var keys = artifact.DependencyKeys.Select(Shared).ToArray();
        string Shared(string value) => pool.GetOrAdd(value, value);
        var surrogate = SurrogateKeys.Format(SurrogateKeys.For(artifact.Path, keys));
        var headersHash = ArtifactDiff.HeadersHash(artifact.ContentType, cacheControl, surrogate);
        var shard = Shared(ManifestSharding.ShardOf(artifact.Path, config.Publish.ProductsPerShard, config.Publish.CategoriesPerShard));
        return new RenderedItem(artifact.Path, artifact.Body, ContentHash.Sha256(artifact.Body), headersHash, cacheControl, shard, keys) { Images = images };
    }


}
